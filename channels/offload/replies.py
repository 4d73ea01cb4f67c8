"""Sending HTTP reply messages (``docs/message-spec.rst``: ``status``, ``headers``, ``content``,
``more_content``) from a consumer that answers a request it was handed.

Replies go to the layer at once, not at the end of the consumer, so a streamed body reaches
the client while it is produced. A full reply channel (the interface server is behind) is
retried with a short backoff for up to ``patience`` seconds; then the reply is given up with
an error in the log, since nobody is reading it any more.
"""

from __future__ import annotations

import logging
from typing import Any

from ..layers.patience import asend_patiently, send_patiently

logger = logging.getLogger("channels.offload")

Reply = dict[str, Any]

#: Seconds to keep retrying a reply whose channel stays full.
REPLY_PATIENCE = 10.0
#: Largest ``content`` of one reply; several fit in a layer's 1 MiB message limit.
CHUNK_SIZE = 512 * 1024


def reply_target(message: Any) -> tuple[Any, str]:
    """``(layer, reply channel name)`` of a message handed over with a reply channel."""
    content = getattr(message, "content", message)
    name = content.get("reply_channel") if isinstance(content, dict) else None
    if not isinstance(name, str) or not name:
        raise ValueError(
            f"the message has no 'reply_channel' (got {name!r}); send offloaded work with "
            "channels.offload.offload(), which adds it"
        )
    layer = getattr(message, "channel_layer", None)
    if layer is None:
        raise ValueError(
            f"{message!r} has no channel_layer; pass the channels Message the consumer received"
        )
    return layer, name


def _gave_up(name: str, patience: float) -> None:
    logger.error(
        "reply channel %r stayed full for %s s; abandoning the response. Is the interface "
        "server reading its replies?",
        name,
        patience,
    )


async def asend_reply(message: Any, reply: Reply, patience: float = REPLY_PATIENCE) -> bool:
    """Send one reply message for ``message`` now; False if its channel stayed full."""
    layer, name = reply_target(message)
    if await asend_patiently(layer.asend, name, reply, patience=patience):
        return True
    _gave_up(name, patience)
    return False


def send_reply(message: Any, reply: Reply, patience: float = REPLY_PATIENCE) -> bool:
    """Sync :func:`asend_reply`, for consumers running in a worker thread."""
    layer, name = reply_target(message)
    if send_patiently(layer.send, name, reply, patience=patience):
        return True
    _gave_up(name, patience)
    return False


def plain_reply(status: int, text: str, headers: list[list[bytes]] | None = None) -> Reply:
    """A whole response in one reply: ``text`` as ``text/plain; charset=utf-8``."""
    body = text.encode("utf-8")
    return {
        "status": status,
        "headers": [
            [b"content-type", b"text/plain; charset=utf-8"],
            [b"content-length", str(len(body)).encode("ascii")],
            *(headers or []),
        ],
        "content": body,
        "more_content": False,
    }


def whole_replies(
    status: int, headers: list[list[bytes]], content: bytes, chunk_size: int = CHUNK_SIZE
) -> list[Reply]:
    """A complete response as reply messages: ``content`` cut into ``chunk_size`` pieces."""
    if not content:
        return [{"status": status, "headers": headers, "content": b"", "more_content": False}]
    replies: list[Reply] = []
    for start in range(0, len(content), chunk_size):
        piece = content[start : start + chunk_size]
        reply: Reply = {"content": piece, "more_content": start + chunk_size < len(content)}
        if not replies:
            reply = {"status": status, "headers": headers, **reply}
        replies.append(reply)
    return replies


async def arespond(
    message: Any,
    status: int,
    content: bytes | str = b"",
    headers: Any = None,
    content_type: str | None = None,
) -> bool:
    """Answer ``message``'s request with a whole response, from an async consumer.

    ``content`` (str is sent as UTF-8, with ``text/plain; charset=utf-8`` unless
    ``content_type`` says otherwise) and ``headers`` (dict or pairs); ``Content-Length`` is
    added. False if the reply channel stayed full.
    """
    from .headers import normalise_headers

    if isinstance(content, str):
        content = content.encode("utf-8")
        content_type = content_type or "text/plain; charset=utf-8"
    header_list = normalise_headers(headers)
    names = {name for name, _ in header_list}
    if content_type and b"content-type" not in names:
        header_list.append([b"content-type", content_type.encode("latin-1")])
    if b"content-length" not in names:
        header_list.append([b"content-length", str(len(content)).encode("ascii")])
    for reply in whole_replies(status, header_list, content):
        if not await asend_reply(message, reply):
            return False
    return True


__all__ = [
    "CHUNK_SIZE",
    "REPLY_PATIENCE",
    "arespond",
    "asend_reply",
    "plain_reply",
    "reply_target",
    "send_reply",
    "whole_replies",
]
