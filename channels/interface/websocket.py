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
from typing import TYPE_CHECKING, Any

from ..exceptions import ChannelFull, ChannelLayerError, MessageTooLarge
from .events import Receive, Send, deliver_lifecycle, plain_response, scope_message

if TYPE_CHECKING:
    from .bridge import Bridge

logger = logging.getLogger("channels.interface")
access = logging.getLogger("channels.access")

#: Close codes: server overloaded (try again later), message too big, internal error.
TRY_AGAIN_LATER = 1013
MESSAGE_TOO_BIG = 1009


#: Handshake outcomes: accepted and open; ended (say so to consumers); refused.
OPEN, CLOSED, REFUSED = object(), object(), object()


def _close_code(value: Any) -> int:
    return value if type(value) is int and value > 0 else 1000


class WebsocketConnection:
    """Carries one WebSocket between the ASGI server and the layer."""

    def __init__(self, bridge: Bridge, scope: dict[str, Any], receive: Receive, send: Send):
        self.bridge = bridge
        self.layer = bridge.layer
        self.scope = scope
        self.receive = receive
        self.send = send
        self.order = 0
        self.close_code = 1006
        self.where = f"{scope['path']} [{_client(scope)}]"

    async def run(self) -> None:
        event = await self.receive()
        if event["type"] != "websocket.connect":
            return
        if not self.bridge.origin_allowed(self.scope):
            access.warning("WebSocket REJECT %s: origin not allowed", self.where)
            await self.send({"type": "websocket.close", "code": 1008})
            return
        reply_channel, replies = self.bridge.replies.open()
        self.reply_channel = reply_channel
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
        if await deliver_lifecycle(self.layer, "websocket.connect", message):
            return True
        await self._refuse(503, "Server busy: too many connections waiting. Retry shortly.")
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
            await self.send({"type": "websocket.close", "code": 1013 if status == 503 else 1008})

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
            self.close_code = event.get("code", 1006)
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
        data = reply.get("text") or reply.get("bytes")
        if reply.get("accept") is True or data:
            await self.send({"type": "websocket.accept", "subprotocol": reply.get("subprotocol")})
            self._log_event("CONNECT")
            return OPEN if await self._apply(reply, accept_only=True) else CLOSED
        if reply.get("close") or reply.get("accept") is False:
            self._log_event("REJECT")
            await self.send({"type": "websocket.close", "code": _close_code(reply.get("close"))})
            return REFUSED
        logger.error("invalid answer to websocket.connect for %s: %r", self.where, reply)
        await self.send({"type": "websocket.close", "code": 1011})
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
                    await self._close(1011)

    async def _from_client(self) -> None:
        while True:
            event = await self.receive()
            if event["type"] == "websocket.disconnect":
                self.close_code = event.get("code", 1006)
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
            if code == 1000 or 3000 <= code <= 4999:
                raise
            self.close_code = 4000 + code % 1000
            logger.info(
                "the server refused close code %d for %s; sent %d instead",
                code,
                self.where,
                self.close_code,
            )
            await self.send({"type": "websocket.close", "code": self.close_code})


def _client(scope: dict[str, Any]) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "-"
