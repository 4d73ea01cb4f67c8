"""One WebSocket through the bridge.

The handshake is held open until a consumer answers ``websocket.connect``: ``accept``, a
first ``text``/``bytes`` (accepts implicitly), or ``close`` (refused, HTTP 403). Then frames
become ``websocket.receive`` messages (``order`` 1, 2, ...), replies become frames, and the
end of the socket, from either side, becomes one ``websocket.disconnect``.

An open socket is the server's task reading the client plus this connection object: the
reply dispatcher writes replies straight to the server (see :mod:`.handoff`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from .. import log_context
from ..closecodes import (
    ABNORMAL_CLOSURE,
    INTERNAL_ERROR,
    MESSAGE_TOO_BIG,
    NORMAL_CLOSURE,
    POLICY_VIOLATION,
    TRY_AGAIN_LATER,
    daphne_safe,
    is_application_code,
)
from ..exceptions import ChannelFull, ChannelLayerError, MessageTooLarge
from ..types import Receive, Scope, Send
from .deadlines import TIMED_OUT, Deadlines
from .events import FULL, SENT, deliver_lifecycle, plain_response, scope_message
from .handoff import Handoff
from .owner import ConnectionOwner

logger = logging.getLogger("channels.interface")
access = logging.getLogger("channels.access")


#: Where a socket is: its handshake waits for the consumer's answer; open; ended (by either
#: side: a websocket.disconnect is due); refused (none is: the consumer never had it).
_HANDSHAKE, _OPEN, _ENDED, _REFUSED = range(4)


def _close_code(value: Any) -> int:
    return value if type(value) is int and value > 0 else NORMAL_CLOSURE


class _Close:
    """Handed to the connection by its own coroutine: close the socket with ``code``."""

    __slots__ = ("code",)

    def __init__(self, code: int) -> None:
        self.code = code


class WebsocketConnection(Handoff):
    """Carries one WebSocket between the ASGI server and the layer.

    :meth:`run` (the server's task for the socket) only reads the client: its frames go to
    ``websocket.receive``. The consumer's answers and replies are handed to the connection
    (:meth:`deliver`) and written at once, as is the end of the handshake's wait (one shared
    :class:`~channels.interface.deadlines.Deadlines` per process), so an open socket costs
    no task or queue beyond the server's own.
    """

    __slots__ = (
        "accepted",
        "bridge",
        "close_code",
        "deadlines",
        "layer",
        "order",
        "receive",
        "reply_channel",
        "scope",
        "send",
        "state",
    )

    def __init__(self, bridge: ConnectionOwner, scope: Scope, receive: Receive, send: Send):
        super().__init__()
        self.bridge = bridge
        self.layer = bridge.layer
        self.scope = scope
        self.receive = receive
        self.send = send
        self.order = 0
        self.close_code = ABNORMAL_CLOSURE
        self.accepted = False
        self.state = _HANDSHAKE
        self.reply_channel = ""
        self.deadlines: Deadlines | None = None

    @property
    def where(self) -> str:
        """The socket's path and client, for log lines (made only when one is written)."""
        return f"{self.scope['path']} [{_client(self.scope)}]"

    async def run(self) -> None:
        event = await self.receive()
        if event["type"] != "websocket.connect":
            return
        if not self.bridge.origin_allowed(self.scope):
            access.warning("WebSocket REJECT %s: origin not allowed", self.where)
            await self.send({"type": "websocket.close", "code": POLICY_VIOLATION})
            return
        replies = self.bridge.replies
        self.reply_channel = reply_channel = replies.open(self)
        self.deadlines = replies.deadlines(self.bridge.websocket_connect_timeout)
        log_context.bind(reply_channel=reply_channel)
        try:
            message = scope_message(self.scope, reply_channel)
            message["subprotocols"] = list(self.scope.get("subprotocols", []))
            message["order"] = 0
            self._log_event("HANDSHAKING")
            if not await self._connect(message):
                self.state = _REFUSED
                return
            del message  # not kept for the life of the socket
            # The consumer may have answered already (written as it arrived).
            if self.state == _HANDSHAKE:
                self.deadlines.arm(self)
            # Frames to websocket.receive until the server says the socket has ended (it
            # does, whichever side closed it). Inline, not a method: one coroutine frame less
            # per open socket.
            while True:
                event = await self.receive()
                kind = event["type"]
                if kind == "websocket.receive":
                    if self.state == _OPEN:
                        await self._forward(event)
                elif kind == "websocket.disconnect":
                    if self.state == _HANDSHAKE or self.state == _OPEN:
                        # The client left; when this side closed, its own code stands.
                        self.close_code = event.get("code", ABNORMAL_CLOSURE)
                        self.state = _ENDED
                    return
        finally:
            self.deadlines.cancel(self)
            if self.accepted:
                self.bridge.activity.websocket_closed()
            replies.close(reply_channel)
            # A consumer may have added the socket to groups as soon as it saw the connect.
            if self.state != _REFUSED:
                await deliver_lifecycle(
                    self.layer,
                    "websocket.disconnect",
                    {
                        "reply_channel": reply_channel,
                        "path": self.scope["path"],
                        "code": self.close_code,
                        "order": self.order + 1,
                    },
                )
                self._log_event("DISCONNECT")

    def _log_event(self, event: str) -> None:
        if self.bridge.access_log:
            access.info("WebSocket %s %s", event, self.where)

    async def _connect(self, message: dict[str, Any]) -> bool:
        outcome = await deliver_lifecycle(self.layer, "websocket.connect", message)
        if outcome == SENT:
            return True
        if outcome == FULL:
            await self._refuse(503, "Server busy: too many connections waiting. Retry shortly.")
        else:
            await self._refuse(503, "Service unavailable: the channel layer is unreachable.")
        return False

    async def _refuse(self, status: int, text: str) -> None:
        """Refuse the handshake with an HTTP status where the server supports it."""
        access.warning("WebSocket REJECT %s: %s", self.where, text)
        if "websocket.http.response" in self.scope.get("extensions", {}):
            for event in plain_response(status, text, retry_after=1 if status == 503 else None):
                event["type"] = event["type"].replace("http.", "websocket.http.", 1)
                await self.send(event)
        else:
            # Daphne can only refuse a handshake with 403.
            await self.send(
                {
                    "type": "websocket.close",
                    "code": TRY_AGAIN_LATER if status == 503 else POLICY_VIOLATION,
                }
            )

    # -- from the client -----------------------------------------------------------------

    async def _forward(self, event: Mapping[str, Any]) -> None:
        # Counted once sent: websocket.disconnect's order follows the last frame that went.
        order = self.order + 1
        text = event.get("text")
        if text is not None:
            frame = {
                "reply_channel": self.reply_channel,
                "path": self.scope["path"],
                "order": order,
                "text": text,
            }
        else:
            frame = {
                "reply_channel": self.reply_channel,
                "path": self.scope["path"],
                "order": order,
                "bytes": event.get("bytes") or b"",
            }
        try:
            # With the frames other sockets sent this turn: one round trip for them all.
            await self.bridge.replies.sends.send("websocket.receive", frame)
        except ChannelFull:
            logger.warning("websocket.receive is full; closed %s with 1013", self.where)
            self.deliver(_Close(TRY_AGAIN_LATER))
        except MessageTooLarge:
            logger.warning("frame too large for the channel layer; closed %s", self.where)
            self.deliver(_Close(MESSAGE_TOO_BIG))
        except ChannelLayerError as exc:
            logger.error("could not send a frame from %s: %s", self.where, exc)
            self.deliver(_Close(TRY_AGAIN_LATER))
        else:
            self.order = order

    # -- to the client -------------------------------------------------------------------

    async def _handle(self, item: Any) -> None:
        """The consumer's answer, a reply, the handshake's timeout, or a close of our own."""
        state = self.state
        try:
            if state == _OPEN:
                if type(item) is dict:
                    await self._apply(item)
                elif type(item) is _Close:
                    await self._close(item.code)
            elif state == _HANDSHAKE:
                if type(item) is dict:
                    await self._answer(item)
                elif item is TIMED_OUT:
                    self._end(_REFUSED)
                    logger.warning(
                        "no consumer answered websocket.connect for %s within %s s; refused",
                        self.where,
                        self.bridge.websocket_connect_timeout,
                        extra=self._extra(),
                    )
                    await self._refuse(403, "No consumer accepted the connection in time.")
        except Exception:
            logger.exception("WebSocket %s failed", self.where, extra=self._extra())
            if self.state == _OPEN or self.state == _HANDSHAKE:
                # (In the handshake, daphne refuses it: HTTP 403.)
                with contextlib.suppress(Exception):
                    await self._close(INTERNAL_ERROR)

    def _extra(self) -> dict[str, Any]:
        # Steps run in the reply dispatcher's context, not the socket's: say which it is.
        return {"reply_channel": self.reply_channel}

    def _end(self, state: int) -> None:
        """No more replies for this socket: stop its wait and take it out of its groups now
        (the server's websocket.disconnect follows)."""
        self.state = state
        if self.deadlines is not None:
            self.deadlines.cancel(self)
        self.bridge.replies.close(self.reply_channel)

    async def _answer(self, reply: dict[str, Any]) -> None:
        """The consumer's answer to the connect: accept (and maybe data), or refuse."""
        if self.deadlines is not None:
            self.deadlines.cancel(self)
        # Any text or bytes frame accepts, an empty one ({"text": ""}) included.
        data = reply.get("text") is not None or reply.get("bytes") is not None
        if reply.get("accept") is True or data:
            self.state = _OPEN
            self.accepted = True
            self.bridge.activity.websocket_opened()
            await self.send({"type": "websocket.accept", "subprotocol": reply.get("subprotocol")})
            self._log_event("CONNECT")
            await self._apply(reply, accept_only=True)
        elif reply.get("close") or reply.get("accept") is False:
            self._end(_REFUSED)
            self._log_event("REJECT")
            await self.send({"type": "websocket.close", "code": _close_code(reply.get("close"))})
        else:
            self._end(_REFUSED)
            logger.error(
                "invalid answer to websocket.connect for %s: %r",
                self.where,
                reply,
                extra=self._extra(),
            )
            await self.send({"type": "websocket.close", "code": INTERNAL_ERROR})

    async def _apply(self, reply: dict[str, Any], accept_only: bool = False) -> None:
        """Send a reply's data, then close if it says so."""
        text, data = reply.get("text"), reply.get("bytes")
        if text is not None and data is not None:
            logger.error(
                "WebSocket reply for %s has both text and bytes; ignored",
                self.where,
                extra=self._extra(),
            )
            return
        if text is not None:
            await self.send({"type": "websocket.send", "text": text})
        elif data is not None:
            await self.send({"type": "websocket.send", "bytes": data})
        elif not accept_only and "close" not in reply and "accept" not in reply:
            logger.error(
                "invalid WebSocket reply for %s: %r", self.where, reply, extra=self._extra()
            )
        if reply.get("close"):
            await self._close(_close_code(reply["close"]))

    async def _close(self, code: int) -> None:
        """Close the open socket with ``code``.

        Some servers let applications send only 1000 and 3000-4999 (daphne, through
        autobahn); there a protocol code such as 1011 or 1013 goes out as 4000 plus its
        last three digits (4011, 4013), which keeps its meaning readable to clients.
        """
        self._end(_ENDED)
        self.close_code = code
        try:
            await self.send({"type": "websocket.close", "code": code})
        except Exception:
            if is_application_code(code):
                raise
            self.close_code = daphne_safe(code)
            logger.info(
                "the server refused close code %d for %s; sent %d instead",
                code,
                self.where,
                self.close_code,
                extra=self._extra(),
            )
            await self.send({"type": "websocket.close", "code": self.close_code})


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "-"
