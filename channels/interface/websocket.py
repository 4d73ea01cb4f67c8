"""One WebSocket through the bridge.

The handshake is held open until a consumer answers ``websocket.connect``: ``accept``, a
first ``text``/``bytes`` (accepts implicitly), or ``close`` (refused, HTTP 403). Then frames
become ``websocket.receive`` messages (``order`` 1, 2, ...), replies become frames, and the
end of the socket, from either side, becomes one ``websocket.disconnect``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
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
from .events import FULL, SENT, deliver_lifecycle, plain_response, scope_message
from .owner import ConnectionOwner

logger = logging.getLogger("channels.interface")
access = logging.getLogger("channels.access")


#: Handshake outcomes: accepted and open; ended (say so to consumers); refused.
OPEN, CLOSED, REFUSED = object(), object(), object()


def _close_code(value: Any) -> int:
    return value if type(value) is int and value > 0 else NORMAL_CLOSURE


class WebsocketConnection:
    """Carries one WebSocket between the ASGI server and the layer."""

    def __init__(self, bridge: ConnectionOwner, scope: Scope, receive: Receive, send: Send):
        self.bridge = bridge
        self.layer = bridge.layer
        self.scope = scope
        self.receive = receive
        self.send = send
        self.order = 0
        self.close_code = ABNORMAL_CLOSURE
        self.accepted = False
        self.where = f"{scope['path']} [{_client(scope)}]"

    async def run(self) -> None:
        event = await self.receive()
        if event["type"] != "websocket.connect":
            return
        if not self.bridge.origin_allowed(self.scope):
            access.warning("WebSocket REJECT %s: origin not allowed", self.where)
            await self.send({"type": "websocket.close", "code": POLICY_VIOLATION})
            return
        reply_channel, replies = self.bridge.replies.open()
        self.reply_channel = reply_channel
        log_context.bind(reply_channel=reply_channel)
        outcome = REFUSED
        try:
            message = scope_message(self.scope, reply_channel)
            message["subprotocols"] = list(self.scope.get("subprotocols", []))
            message["order"] = 0
            self._log_event("HANDSHAKING")
            if not await self._connect(message):
                return
            outcome = await self._handshake(replies)
            if outcome is OPEN:
                await self._pump(replies)
        finally:
            if self.accepted:
                self.bridge.activity.websocket_closed()
            self.bridge.replies.close(reply_channel)
            # A consumer may have added the socket to groups as soon as it saw the connect.
            if outcome is not REFUSED:
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

    async def _handshake(self, replies: asyncio.Queue[dict[str, Any]]) -> object:
        """Wait for the consumer's answer to the connect: OPEN, CLOSED or REFUSED."""
        getting = asyncio.ensure_future(replies.get())
        gone = asyncio.ensure_future(self.receive())
        done, _ = await asyncio.wait(
            {getting, gone},
            timeout=self.bridge.websocket_connect_timeout,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if gone in done:
            getting.cancel()
            event = gone.result()
            self.close_code = event.get("code", ABNORMAL_CLOSURE)
            return CLOSED
        gone.cancel()
        if getting not in done:
            getting.cancel()
            logger.warning(
                "no consumer answered websocket.connect for %s within %s s; refused",
                self.where,
                self.bridge.websocket_connect_timeout,
            )
            await self._refuse(403, "No consumer accepted the connection in time.")
            return REFUSED
        reply = getting.result()
        # Any text or bytes frame accepts, an empty one ({"text": ""}) included.
        data = reply.get("text") is not None or reply.get("bytes") is not None
        if reply.get("accept") is True or data:
            await self.send({"type": "websocket.accept", "subprotocol": reply.get("subprotocol")})
            self.accepted = True
            self.bridge.activity.websocket_opened()
            self._log_event("CONNECT")
            return OPEN if await self._apply(reply, accept_only=True) else CLOSED
        if reply.get("close") or reply.get("accept") is False:
            self._log_event("REJECT")
            await self.send({"type": "websocket.close", "code": _close_code(reply.get("close"))})
            return REFUSED
        logger.error("invalid answer to websocket.connect for %s: %r", self.where, reply)
        await self.send({"type": "websocket.close", "code": INTERNAL_ERROR})
        return REFUSED

    async def _apply(self, reply: dict[str, Any], accept_only: bool = False) -> bool:
        """Send a reply's data and close; False once the socket is closed."""
        text, data = reply.get("text"), reply.get("bytes")
        if text is not None and data is not None:
            logger.error("WebSocket reply for %s has both text and bytes; ignored", self.where)
            return True
        if text is not None:
            await self.send({"type": "websocket.send", "text": text})
        elif data is not None:
            await self.send({"type": "websocket.send", "bytes": data})
        elif not accept_only and "close" not in reply and "accept" not in reply:
            logger.error("invalid WebSocket reply for %s: %r", self.where, reply)
        if reply.get("close"):
            await self._close(_close_code(reply["close"]))
            return False
        return True

    async def _pump(self, replies: asyncio.Queue[dict[str, Any]]) -> None:
        """Frames to the layer and replies to the client, until either side closes."""
        inbound = asyncio.ensure_future(self._from_client())
        outbound = asyncio.ensure_future(self._to_client(replies))
        try:
            await asyncio.wait({inbound, outbound}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            inbound.cancel()
            outbound.cancel()
            results = await asyncio.gather(inbound, outbound, return_exceptions=True)
        for result in results:
            if isinstance(result, Exception):
                logger.error("WebSocket %s failed", self.where, exc_info=result)
                with contextlib.suppress(Exception):
                    await self._close(INTERNAL_ERROR)

    async def _from_client(self) -> None:
        while True:
            event = await self.receive()
            if event["type"] == "websocket.disconnect":
                self.close_code = event.get("code", ABNORMAL_CLOSURE)
                return
            if event["type"] != "websocket.receive":
                continue
            frame = {"reply_channel": self.reply_channel, "path": self.scope["path"]}
            # Counted once sent: websocket.disconnect's order follows the last frame that went.
            frame["order"] = self.order + 1
            if event.get("text") is not None:
                frame["text"] = event["text"]
            else:
                frame["bytes"] = event.get("bytes") or b""
            try:
                await self.layer.asend("websocket.receive", frame)
            except ChannelFull:
                logger.warning("websocket.receive is full; closed %s with 1013", self.where)
                await self._close(TRY_AGAIN_LATER)
                return
            except MessageTooLarge:
                logger.warning("frame too large for the channel layer; closed %s", self.where)
                await self._close(MESSAGE_TOO_BIG)
                return
            except ChannelLayerError as exc:
                logger.error("could not send a frame from %s: %s", self.where, exc)
                await self._close(TRY_AGAIN_LATER)
                return
            self.order += 1

    async def _to_client(self, replies: asyncio.Queue[dict[str, Any]]) -> None:
        while await self._apply(await replies.get()):
            pass

    async def _close(self, code: int) -> None:
        """Close the open socket with ``code``.

        Some servers let applications send only 1000 and 3000-4999 (daphne, through
        autobahn); there a protocol code such as 1011 or 1013 goes out as 4000 plus its
        last three digits (4011, 4013), which keeps its meaning readable to clients.
        """
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
            )
            await self.send({"type": "websocket.close", "code": self.close_code})


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "-"
