"""The ASGI WebSocket Denial Response extension for the daphne this package runs.

Daphne can only refuse a handshake with HTTP 403. :class:`DenialServer` advertises
``"websocket.http.response"`` in every WebSocket scope's ``extensions``, and its sockets
(:class:`DenialWebSocketProtocol`) answer a ``websocket.http.response.start`` sent before
``websocket.accept``, with the ``websocket.http.response.body`` events after it, by sending
that status, those headers and that body as the HTTP response to the upgrade request, then
closing the connection.

The body is collected until its last event (``more_body`` false) and sent with its own
``Content-Length``, so that a malformed denial (a bad status or header, a body before the
start, a frame or an accept after it) can still be answered with a clean 500. Events that
arrive after the response went are ignored, as daphne ignores them for a closed socket.

Importing this module imports ``daphne.server``, which installs Twisted's asyncio reactor:
import it only where daphne is about to run (:func:`channels.interface.server.serve`).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from autobahn.websocket.types import ConnectionDeny
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol

logger = logging.getLogger("channels.interface")

EXTENSION = "websocket.http.response"
START = "websocket.http.response.start"
BODY = "websocket.http.response.body"

#: Headers the server sets itself: the body's real length, and the close that follows.
_SERVER_HEADERS = {b"content-length", b"transfer-encoding", b"connection"}
_ERROR_BODY = b"Internal Server Error"


class MalformedDenial(ValueError):
    """A denial response the server cannot send as given; answered with a 500."""


def _checked_status(status: Any) -> int:
    if type(status) is not int or not 100 <= status <= 599:
        raise MalformedDenial(f"status must be an int from 100 to 599, got {status!r}")
    return status


def _checked_headers(headers: Any) -> list[tuple[bytes, bytes]]:
    checked = []
    for header in headers or ():
        if (
            not isinstance(header, (tuple, list))
            or len(header) != 2
            or not all(isinstance(part, bytes) for part in header)
        ):
            raise MalformedDenial(f"headers must be (bytes, bytes) pairs, got {header!r}")
        name, value = header
        # A CR or LF would let a header value start a header (or a body) of its own.
        if not name or any(char in part for part in header for char in b"\r\n"):
            raise MalformedDenial(f"header {header!r} is empty or holds a line break")
        checked.append((name, value))
    return checked


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def http_response(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
    """The bytes of an HTTP/1.1 response that ends with the connection."""
    lines = [f"HTTP/1.1 {status} {_phrase(status)}".rstrip().encode("ascii")]
    lines += [b"%s: %s" % header for header in headers if header[0].lower() not in _SERVER_HEADERS]
    lines += [b"Content-Length: %d" % len(body), b"Connection: close"]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


class DenialWebSocketProtocol(WebSocketProtocol):  # type: ignore[misc]
    """Daphne's WebSocket protocol, plus the denial response events before the accept."""

    #: ``(status, headers, body so far)`` between the start and the last body event.
    denial: tuple[int, list[tuple[bytes, bytes]], bytearray] | None = None
    #: The response bytes :meth:`failHandshake` sends instead of autobahn's bare status line.
    denial_response: bytes | None = None

    def handle_reply(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind not in (START, BODY) and self.denial is None:
            super().handle_reply(message)
            return
        if not hasattr(self, "handshake_deferred"):
            # Accepted already (rejected sockets get no more events from the server).
            logger.error(
                "%s for %s arrived after websocket.accept; ignored (close() ends an open "
                "socket; a denial response must come instead of the accept)",
                kind,
                self.request.path,
            )
            return
        try:
            self._denial_event(kind, message)
        except MalformedDenial as problem:
            logger.error(
                "malformed WebSocket denial response for %s: %s; answered 500",
                self.request.path,
                problem,
            )
            self.denial = None
            self._deny(500, [(b"content-type", b"text/plain; charset=utf-8")], _ERROR_BODY)

    def _denial_event(self, kind: Any, message: dict[str, Any]) -> None:
        if kind == START:
            if self.denial is not None:
                raise MalformedDenial(f"a second {START}")
            status = _checked_status(message.get("status"))
            self.denial = (status, _checked_headers(message.get("headers")), bytearray())
            return
        if kind != BODY:
            raise MalformedDenial(f"{kind} after {START}; send the body events instead")
        if self.denial is None:
            raise MalformedDenial(f"{BODY} before {START}")
        body = message.get("body", b"")
        if not isinstance(body, (bytes, bytearray)):
            raise MalformedDenial(f"body must be bytes, got {type(body).__name__}")
        status, headers, collected = self.denial
        collected += body
        if not message.get("more_body", False):
            self.denial = None
            self._deny(status, headers, bytes(collected))

    def _deny(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        """Fail the handshake with this response; later events are dropped by the server."""
        self.denial_response = http_response(status, headers, body)
        handshake = self.handshake_deferred
        del self.handshake_deferred
        self.server.protocol_disconnected(self)
        client = f"{self.client_addr[0]}:{self.client_addr[1]}" if self.client_addr else None
        self.server.log_action(
            "websocket", "rejected", {"path": self.request.path, "client": client}
        )
        # Autobahn answers a ConnectionDeny through failHandshake(), below.
        handshake.errback(ConnectionDeny(code=status, reason=_phrase(status)))  # type: ignore[no-untyped-call]

    def serverReject(self) -> None:
        # Daphne's handshake timeout may fire between a denial and the connection's end;
        # the handshake is answered already.
        if hasattr(self, "handshake_deferred"):
            super().serverReject()

    def failHandshake(self, reason: str, code: int = 400, responseHeaders: Any = None) -> None:
        response, self.denial_response = self.denial_response, None
        if response is None:
            super().failHandshake(reason, code, responseHeaders)
            return
        self.wasNotCleanReason = reason
        self.sendData(response)
        self.dropConnection(abort=False)


class DenialServer(Server):  # type: ignore[misc]
    """Daphne's server with the WebSocket Denial Response extension on every socket."""

    @property
    def ws_factory(self) -> Any:
        return self._ws_factory

    @ws_factory.setter
    def ws_factory(self, factory: Any) -> None:
        # Server.run() builds the factory and serves from it at once: the only place to
        # give it our protocol is where run() stores it.
        factory.protocol = DenialWebSocketProtocol
        self._ws_factory = factory

    def create_application(self, protocol: Any, scope: dict[str, Any]) -> Any:
        if scope.get("type") == "websocket" and isinstance(protocol, DenialWebSocketProtocol):
            scope["extensions"] = {**scope.get("extensions", {}), EXTENSION: {}}
        return super().create_application(protocol, scope)
