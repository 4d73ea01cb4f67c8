"""Pieces shared by the HTTP and WebSocket sides of the bridge: building channel messages
from an ASGI scope, canned responses, and sending lifecycle messages without losing them."""

from __future__ import annotations

import logging
from typing import Any

from ..exceptions import ChannelLayerError
from ..layers.base import BaseChannelLayer
from ..layers.patience import asend_patiently
from ..types import Scope

logger = logging.getLogger("channels.interface")

#: How long a lifecycle message (connect, disconnect) is retried while its channel is full.
LIFECYCLE_PATIENCE = 2.0


def _address(value: Any) -> list[Any] | None:
    return [value[0], value[1]] if value else None


def scope_message(scope: Scope, reply_channel: str) -> dict[str, Any]:
    """The keys every connection message carries, taken from an ASGI scope."""
    default_scheme = "http" if scope["type"] == "http" else "ws"
    return {
        "reply_channel": reply_channel,
        "scheme": scope.get("scheme") or default_scheme,
        "path": scope["path"],
        "query_string": scope.get("query_string", b""),
        "root_path": scope.get("root_path", ""),
        "headers": [[name, value] for name, value in scope.get("headers", [])],
        "client": _address(scope.get("client")),
        "server": _address(scope.get("server")),
    }


def plain_response(status: int, text: str, retry_after: int | None = None) -> list[dict[str, Any]]:
    """ASGI events for a short text/plain response."""
    body = text.encode("utf-8")
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode("ascii")),
    ]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode("ascii")))
    return [
        {"type": "http.response.start", "status": status, "headers": headers},
        {"type": "http.response.body", "body": body},
    ]


#: What :func:`deliver_lifecycle` reports: sent, refused as full, or the layer unreachable.
SENT, FULL, UNREACHABLE = "sent", "full", "unreachable"


async def deliver_lifecycle(layer: BaseChannelLayer, channel: str, message: dict[str, Any]) -> str:
    """Send a connect or disconnect message, retrying briefly while the channel is full.

    Consumers rely on these (a disconnect removes the socket from its groups), so they are
    never dropped quietly: a message that still cannot go is logged as an error. Returns
    :data:`SENT`, :data:`FULL` or :data:`UNREACHABLE`.
    """
    try:
        if await asend_patiently(layer.asend, channel, message, patience=LIFECYCLE_PATIENCE):
            return SENT
        logger.error(
            "LOST %s for %s: the channel stayed full for %.1f s; add workers or raise its capacity",
            channel,
            message.get("reply_channel"),
            LIFECYCLE_PATIENCE,
        )
        return FULL
    except ChannelLayerError as exc:
        logger.error("LOST %s for %s: %s", channel, message.get("reply_channel"), exc)
        return UNREACHABLE
