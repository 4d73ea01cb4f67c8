"""What a worker does when a consumer raises: the one declared reaction policy.

=============================  ============================================================
The consumer raised            The worker
=============================  ============================================================
``ConsumeLater``               puts the message back on its channel, counting the tries in
                               its ``__retries__`` key; on the try after ``message_retries``
                               it drops the message with a warning instead.
``DenyConnection``             closes the socket (``{"close": True}``); only meaningful for
                               ``websocket.connect``, logged as an error elsewhere.
``ChannelSocketException``     calls the exception's ``run(message)`` (e.g. a
                               ``WebsocketCloseException`` closes the socket with its code).
anything else                  logs it with the traceback; an ``http.request`` client is
                               answered 500 at once, a socket is closed with 1011 (internal
                               error) on ``websocket.connect``/``websocket.receive``.
=============================  ============================================================

Replies and put-backs that meet a full channel are retried for :data:`REPLY_PATIENCE`
seconds (:func:`~channels.layers.patience.send_patiently`), then logged and given up.

Decorators that must know whether a ``ConsumeLater`` will bring the message back (the
ordering of :func:`~channels.sessions.enforce_ordering`) ask :func:`puts_back`; the worker
records the answer's input on the message as ``Message.retries_left``.
"""

from __future__ import annotations

import logging
from typing import Any

from .closecodes import INTERNAL_ERROR
from .exceptions import ChannelSocketException, ConsumeLater, DenyConnection
from .layers.patience import send_patiently
from .message import Message
from .utils import name_that_thing

logger = logging.getLogger("channels.worker")

#: The key of a message's content that counts how often ``ConsumeLater`` put it back.
RETRIES_KEY = "__retries__"
#: The reply a client gets at once when an ``http.request`` consumer raised.
SERVER_ERROR_REPLY = {
    "status": 500,
    "headers": [[b"content-type", b"text/plain; charset=utf-8"]],
    "content": b"Internal Server Error",
}
#: How long a put-back or an error reply is retried while its channel is full (seconds).
REPLY_PATIENCE = 1.0


def describe(consumer: Any) -> str:
    """``module.qualname`` of a consumer, for logs."""
    return name_that_thing(consumer)


def retries_left(content: dict[str, Any], message_retries: int) -> int:
    """How many more times ``ConsumeLater`` may put this message back."""
    return max(0, message_retries - int(content.get(RETRIES_KEY, 0)))


def puts_back(message: Message, error: BaseException | None) -> bool:
    """Whether the worker will run ``message`` again after its consumer raised ``error``:
    a ``ConsumeLater`` with tries left (a message no worker counted has them)."""
    return isinstance(error, ConsumeLater) and message.retries_left != 0


class Reactions:
    """The policy above, for one worker's layer."""

    def __init__(self, channel_layer: Any, message_retries: int) -> None:
        self.channel_layer = channel_layer
        self.message_retries = message_retries

    def react(self, message: Message, consumer: Any, error: Exception) -> None:
        """Carry out the reaction to ``error`` (in a thread: it may send and wait)."""
        channel = message.channel.name
        reply = message.reply_channel
        if isinstance(error, ConsumeLater):
            self._put_back(message, consumer)
        elif isinstance(error, DenyConnection):
            if not channel.startswith("websocket.") or reply is None:
                logger.error(
                    "%s raised DenyConnection on %r; only websocket.connect consumers can deny",
                    describe(consumer),
                    channel,
                )
                return
            self._send(reply.name, {"close": True}, "close the socket")
        elif isinstance(error, ChannelSocketException):
            try:
                error.run(message)
            except Exception:
                logger.error("%r.run() failed", error, exc_info=True)
        else:
            self._failed(message, consumer, error)

    def _put_back(self, message: Message, consumer: Any) -> None:
        content = message.content
        retries = int(content.get(RETRIES_KEY, 0)) + 1
        if retries > self.message_retries:
            logger.warning(
                "dropping a message on %r: %s raised ConsumeLater %d times",
                message.channel.name,
                describe(consumer),
                self.message_retries,
            )
            return
        content[RETRIES_KEY] = retries
        self._send(message.channel.name, content, "put back")

    def _failed(self, message: Message, consumer: Any, error: Exception) -> None:
        channel = message.channel.name
        path = message.content.get("path")
        logger.error(
            "%s raised on a message on %r%s",
            describe(consumer),
            channel,
            f" with path {path!r}" if path is not None else "",
            exc_info=error,
        )
        reply = message.reply_channel
        if reply is None:
            return
        if channel == "http.request":
            self._send(reply.name, SERVER_ERROR_REPLY, "answer 500")
        elif channel in ("websocket.connect", "websocket.receive"):
            self._send(reply.name, {"close": INTERNAL_ERROR}, "close the socket")

    def _send(self, channel: str, content: dict[str, Any], what: str) -> None:
        try:
            if not send_patiently(
                self.channel_layer.send, channel, content, patience=REPLY_PATIENCE
            ):
                logger.warning("could not %s: %r stayed full", what, channel)
        except Exception:
            logger.error("could not %s on %r", what, channel, exc_info=True)


__all__ = [
    "REPLY_PATIENCE",
    "RETRIES_KEY",
    "SERVER_ERROR_REPLY",
    "Reactions",
    "describe",
    "puts_back",
    "retries_left",
]
