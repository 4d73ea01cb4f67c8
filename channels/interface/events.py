"""Pieces shared by the HTTP and WebSocket sides of the bridge: building channel messages
from an ASGI scope, canned responses, and sending lifecycle messages without losing them."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ..exceptions import ChannelFull, ChannelLayerError
from ..layers.base import BaseChannelLayer

logger = logging.getLogger("channels.interface")

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

#: How long a lifecycle message (connect, disconnect) is retried while its channel is full.
LIFECYCLE_PATIENCE = 2.0


def _address(value: Any) -> list[Any] | None:
    return [value[0], value[1]] if value else None


def scope_message(scope: dict[str, Any], reply_channel: str) -> dict[str, Any]:
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


async def deliver_lifecycle(layer: BaseChannelLayer, channel: str, message: dict[str, Any]) -> bool:
    """Send a connect or disconnect message, retrying briefly while the channel is full.

    Consumers rely on these (a disconnect removes the socket from its groups), so they are
    never dropped quietly: a message that still cannot go is logged as an error.
    Returns whether it was sent.
    """
    deadline = time.monotonic() + LIFECYCLE_PATIENCE
    delay = 0.01
    while True:
        try:
            await layer.asend(channel, message)
            return True
        except ChannelFull:
            if time.monotonic() >= deadline:
                logger.error(
                    "LOST %s for %s: the channel stayed full for %.1f s; add workers or raise "
                    "its capacity",
                    channel,
                    message.get("reply_channel"),
                    LIFECYCLE_PATIENCE,
                )
                return False
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.25)
        except ChannelLayerError as exc:
            logger.error("LOST %s for %s: %s", channel, message.get("reply_channel"), exc)
            return False
