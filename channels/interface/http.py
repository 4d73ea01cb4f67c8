"""One HTTP request through the bridge: ``http.request`` onto the layer, the reply back.

Bodies up to ``inline_body_size`` travel inside the ``http.request`` message. A larger body
is streamed: the message carries what has arrived so far plus a single-reader
``body_channel``, and the rest follows there in chunks as the client sends it.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

from .. import log_context
from ..exceptions import ChannelFull, ChannelLayerError, MessageTooLarge
from ..layers.patience import asend_patiently
from ..types import Receive, Scope, Send
from .deadlines import TIMED_OUT, Deadlines
from .events import deliver_lifecycle, plain_response, scope_message
from .handoff import Handoff
from .http_replies import MalformedReply, check_first_reply, content_of
from .liveness import WORKER_GONE
from .owner import ConnectionOwner

logger = logging.getLogger("channels.interface")
access = logging.getLogger("channels.access")

#: How long to keep retrying a body chunk while its channel is full.
_BODY_CHUNK_PATIENCE = 10.0


class _ClientGone(Exception):
    """The client disconnected before its request was complete."""


#: Handed to the connection when a streamed body passes ``max_request_body_size``.
_REJECTED = object()


#: Where a request is, as far as replies go: being sent; waiting for the worker's first
#: reply; its response streaming (``more_content``); answered, or its client gone.
_SENDING, _WAITING, _STREAMING, _DONE = range(4)


class HttpConnection(Handoff):
    """Carries one HTTP request and its response between the ASGI server and the layer.

    :meth:`run` (the server's task for the request) sends ``http.request`` and then only
    reads the client: the rest of a large body, and its disconnect. Replies, the HTTP
    timeout (one shared :class:`~channels.interface.deadlines.Deadlines` per process) and a
    stopped worker are handed to the connection (:meth:`deliver`) and written at once.
    """

    __slots__ = (
        "answered",
        "body_size",
        "bridge",
        "deadlines",
        "disconnected",
        "layer",
        "receipt",
        "receive",
        "reply_channel",
        "scope",
        "send",
        "sent_bytes",
        "started",
        "state",
        "status",
    )

    def __init__(self, bridge: ConnectionOwner, scope: Scope, receive: Receive, send: Send):
        super().__init__()
        self.bridge = bridge
        self.layer = bridge.layer
        self.scope = scope
        self.receive = receive
        self.send = send
        self.started = time.monotonic()
        self.status: int | None = None
        self.sent_bytes = 0
        self.body_size = 0
        self.disconnected = False
        # What takes the request back off http.request while no worker has it yet.
        self.receipt: Any = None
        self.answered = False
        self.state = _SENDING
        self.reply_channel = ""
        self.deadlines: Deadlines | None = None

    async def run(self) -> None:
        replies = self.bridge.replies
        self.reply_channel = reply_channel = replies.open(self)
        self.deadlines = replies.deadlines(self.bridge.http_timeout)
        log_context.bind(channel="http.request", reply_channel=reply_channel)
        try:
            message = scope_message(self.scope, reply_channel)
            message["http_version"] = self.scope.get("http_version", "1.1")
            message["method"] = self.scope["method"].upper()
            too_large = self._declared_too_large()
            if too_large:
                await self._respond_plain(413, too_large)
                return
            try:
                body, more = await self._read_inline_body()
            except _ClientGone:
                return
            if body is None:
                await self._respond_plain(413, self._too_large_text())
                return
            message["body"] = body
            if more:
                message["body_channel"] = await self.layer.anew_channel("http.request.body?")
            # A worker drops the request unrun once this has passed: by then the client has
            # had its 503 (or gave up), so running it would only spend a worker on nobody.
            message["deadline"] = time.time() + self.bridge.http_timeout
            # From here a reply may come (even before the send below returns).
            self.state = _WAITING
            try:
                self.receipt = await self.layer.asend_retractable("http.request", message)
            except ChannelFull:
                logger.warning("http.request is full; answered 503 to %s", self.scope["path"])
                await self._respond_plain(
                    503, "Server busy: too many requests waiting. Retry shortly.", retry_after=1
                )
                return
            except MessageTooLarge:
                await self._respond_plain(431, "Request headers too large.")
                return
            except ChannelLayerError as exc:
                logger.error("could not send http.request: %s", exc)
                await self._respond_plain(503, "Server unavailable: the channel layer failed.")
                return
            # No live worker: take the request back and say so now, rather than at the
            # timeout. (Sent first, so a full channel is still refused, and counted, as such.)
            if not replies.serves("http.request") and await self._retract():
                logger.warning(
                    "no worker is running for http.request; answered 503 to %s",
                    self.scope["path"],
                )
                await self._respond_plain(
                    503, "Service unavailable: no worker is running.", retry_after=5
                )
                return
            if self.state == _WAITING:
                self.deadlines.arm(self)
            if more:
                await self._stream_body(message["body_channel"])
            del message  # nothing of it is needed while the request waits
            await self._watch_disconnect()
        finally:
            self.deadlines.cancel(self)
            replies.close(reply_channel)
            if self.disconnected and self.status is None and not await self._retract():
                await deliver_lifecycle(
                    self.layer,
                    "http.disconnect",
                    {"reply_channel": reply_channel, "path": self.scope["path"]},
                )
            self._log_access()

    # -- request body --------------------------------------------------------------------

    def _declared_too_large(self) -> str | None:
        limit = self.bridge.max_request_body_size
        if limit is None:
            return None
        for name, value in self.scope.get("headers", []):
            if name.lower() == b"content-length":
                try:
                    if int(value) > limit:
                        return self._too_large_text()
                except ValueError:
                    return None
        return None

    def _too_large_text(self) -> str:
        return f"Request body too large: the limit is {self.bridge.max_request_body_size} bytes."

    async def _read_inline_body(self) -> tuple[bytes | None, bool]:
        """Read up to ``inline_body_size``: (body so far, whether more follows).
        (None, False) when the body passes ``max_request_body_size``."""
        chunks, size = [], 0
        while True:
            event = await self.receive()
            if event["type"] == "http.disconnect":
                self._gone()
                raise _ClientGone
            chunk = event.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            limit = self.bridge.max_request_body_size
            if limit is not None and size > limit:
                return None, False
            if not event.get("more_body", False):
                return b"".join(chunks), False
            if size >= self.bridge.inline_body_size:
                self.body_size = size
                return b"".join(chunks), True

    async def _stream_body(self, body_channel: str) -> None:
        """Forward the rest of the body to ``body_channel`` as it arrives, in chunks of up
        to ``inline_body_size`` (servers hand it over in small pieces)."""
        size = self.body_size
        limit = self.bridge.max_request_body_size
        more = True
        try:
            while more:
                pieces: list[bytes] = []
                pending = 0
                while more and pending < self.bridge.inline_body_size:
                    event = await self.receive()
                    if event["type"] == "http.disconnect":
                        if self.state != _DONE:  # else: the response ended the request
                            self._gone()
                            await self._send_chunk(body_channel, {"closed": True})
                        return
                    piece = event.get("body", b"")
                    pieces.append(piece)
                    pending += len(piece)
                    more = event.get("more_body", False)
                size += pending
                if limit is not None and size > limit:
                    await self._send_chunk(body_channel, {"closed": True})
                    self.deliver(_REJECTED)
                    return
                chunk = {"content": b"".join(pieces), "more_content": more}
                await self._send_chunk(body_channel, chunk)
        except ChannelLayerError as exc:
            # The request waits out its timeout (a worker may still answer what it has).
            logger.error("gave up streaming a request body to %s: %s", body_channel, exc)

    async def _send_chunk(self, body_channel: str, chunk: dict[str, Any]) -> None:
        # The worker reads as fast as it can; a full body channel means it is behind.
        if not await asend_patiently(
            self.layer.asend, body_channel, chunk, patience=_BODY_CHUNK_PATIENCE
        ):
            raise ChannelFull(f"{body_channel} stayed full for {_BODY_CHUNK_PATIENCE} s")

    async def _watch_disconnect(self) -> None:
        """Read the client until it leaves, or the server says the response has ended
        (ASGI servers send ``http.disconnect`` after the response, too)."""
        while True:
            event = await self.receive()
            if event["type"] == "http.disconnect":
                if self.state != _DONE:
                    self._gone()
                return

    def _gone(self) -> None:
        """The client left: nothing more is written to it."""
        self.disconnected = True
        self.state = _DONE
        if self.deadlines is not None:
            self.deadlines.cancel(self)

    async def _retract(self) -> bool:
        """Take the request back if no worker has it yet: a client that left, or was
        answered 503, never has its request run. True if it was taken back."""
        if self.answered or self.receipt is None:
            return False
        receipt, self.receipt = self.receipt, None
        try:
            retracted = await self.layer.aretract("http.request", receipt)
        except ChannelLayerError as exc:
            logger.debug("could not take back the request for %s: %s", self.scope["path"], exc)
            return False
        if retracted:
            logger.debug("dropped %s %s unrun", self.scope["method"], self.scope["path"])
        return retracted

    # -- response ------------------------------------------------------------------------

    def _needs_task(self, item: Any) -> bool:
        # Answering a timeout first takes the request back: a layer call, not just a write.
        return item is TIMED_OUT

    async def _handle(self, item: Any) -> None:
        """One reply, or a marker: the HTTP timeout, a stopped worker, a refused body."""
        state = self.state
        if state == _DONE:
            return  # a late reply, or a marker after the end: nobody to write to
        try:
            if type(item) is dict:
                if state == _STREAMING:
                    await self._next_chunk(item)
                elif state == _WAITING:
                    await self._first_reply(item)
            elif state == _STREAMING:
                self._end()
                logger.warning(
                    "response to %s stalled; closing it", self.scope["path"], extra=self._extra()
                )
                await self._send_body(b"", False)
            elif item is _REJECTED:
                await self._respond_plain(413, self._too_large_text())
            elif item is WORKER_GONE:
                logger.warning(
                    "the worker consuming %s %s stopped; answered 503",
                    self.scope["method"],
                    self.scope["path"],
                    extra=self._extra(),
                )
                await self._respond_plain(
                    503,
                    "Service unavailable: the worker handling this request stopped.",
                    retry_after=1,
                )
            elif item is TIMED_OUT and state == _WAITING:
                self._end()
                await self._retract()
                logger.warning(
                    "no worker answered %s %s within %s s; answered 503",
                    self.scope["method"],
                    self.scope["path"],
                    self.bridge.http_timeout,
                    extra=self._extra(),
                )
                await self._respond_plain(
                    503, "Service unavailable: no worker answered in time.", retry_after=5
                )
        except Exception:
            logger.exception(
                "relaying the response to %s failed", self.scope["path"], extra=self._extra()
            )
            await self._abort()

    async def _abort(self) -> None:
        """End the response after a failure to write it, so the client is not left waiting."""
        self._end()
        with contextlib.suppress(Exception):
            if self.status is None:
                await self._respond_plain(500, "Internal Server Error: the reply failed.")
            else:
                await self.send({"type": "http.response.body", "body": b"", "more_body": False})

    def _extra(self) -> dict[str, Any]:
        # Steps run in the reply dispatcher's context, not the request's: say which it is.
        return {"channel": "http.request", "reply_channel": self.reply_channel}

    def _end(self) -> None:
        self.state = _DONE
        if self.deadlines is not None:
            self.deadlines.cancel(self)

    async def _first_reply(self, reply: dict[str, Any]) -> None:
        self.answered = True
        self.bridge.activity.first_reply(time.monotonic() - self.started)
        try:
            status, headers = check_first_reply(reply)
            content = content_of(reply)
        except MalformedReply as exc:
            logger.error(
                "malformed HTTP reply for %s: %s", self.scope["path"], exc, extra=self._extra()
            )
            await self._respond_plain(500, "Internal Server Error: malformed reply.")
            return
        self.status = status
        more = bool(reply.get("more_content", False))
        self._waiting_more(more)
        await self.send({"type": "http.response.start", "status": status, "headers": headers})
        await self._send_body(content, more)

    async def _next_chunk(self, reply: dict[str, Any]) -> None:
        try:
            content = content_of(reply)
        except MalformedReply as exc:
            logger.error(
                "malformed HTTP reply chunk for %s: %s",
                self.scope["path"],
                exc,
                extra=self._extra(),
            )
            self._end()
            await self._send_body(b"", False)
            return
        more = bool(reply.get("more_content", False))
        self._waiting_more(more)
        await self._send_body(content, more)

    def _waiting_more(self, more: bool) -> None:
        """After a reply: wait for the next chunk (the timeout starts again), or done."""
        if more:
            self.state = _STREAMING
            if self.deadlines is not None:
                self.deadlines.arm(self)
        else:
            self._end()

    async def _send_body(self, content: bytes, more: bool) -> None:
        self.sent_bytes += len(content)
        await self.send({"type": "http.response.body", "body": content, "more_body": more})

    async def _respond_plain(self, status: int, text: str, retry_after: int | None = None) -> None:
        self._end()
        self.status = status
        response = plain_response(status, text, retry_after)
        self.sent_bytes += len(response[1]["body"])
        for event in response:
            await self.send(event)

    def _log_access(self) -> None:
        if self.status is None:
            return
        # Counted for the metrics whether or not the access log is on.
        self.bridge.activity.http_answered(self.status)
        if not self.bridge.access_log:
            return
        query = self.scope.get("query_string", b"")
        target = self.scope["path"] + ("?" + query.decode("latin-1") if query else "")
        access.info(
            '"%s %s HTTP/%s" %s %s',
            self.scope["method"],
            target,
            self.scope.get("http_version", "1.1"),
            self.status,
            self.sent_bytes,
            extra={"status_code": self.status, "duration": time.monotonic() - self.started},
        )


__all__ = ["HttpConnection", "MalformedReply"]
