"""``WebsocketCommunicator``: a WebSocket client for an ASGI application, in-process."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from asgiref.testing import ApplicationCommunicator

from .scope import base_scope

#: The extension a server lists in ``scope["extensions"]`` when it takes denial responses.
DENIAL_EXTENSION = "websocket.http.response"


@dataclass(frozen=True)
class DenialResponse:
    """The HTTP response an application refused a handshake with (the WebSocket denial
    response extension): its status, headers and whole body."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def header(self, name: str) -> bytes | None:
        """The value of the first header called ``name`` (any case), or None."""
        wanted = name.lower().encode("latin-1")
        return next((value for key, value in self.headers if key.lower() == wanted), None)


class WebsocketCommunicator(ApplicationCommunicator):
    """Drives one WebSocket connection::

    communicator = WebsocketCommunicator(application, "/ws/chat/lobby/")
    connected, subprotocol = await communicator.connect()
    await communicator.send_to(text_data="hello")
    assert await communicator.receive_from() == "hello"
    await communicator.disconnect()

    With ``denial_response=True`` the scope lists the ``websocket.http.response``
    extension, as under ``runserver``, so a consumer's ``deny()`` sends its HTTP response:
    ``connect()`` returns ``(False, status)`` and :attr:`denial` holds the response.
    Without it the application sees a server like the ``daphne`` command, where ``deny()``
    refuses with a close (HTTP 403 to a real client).
    """

    def __init__(
        self,
        application: Any,
        path: str,
        headers: Iterable[tuple[bytes, bytes]] | None = None,
        subprotocols: Iterable[str] | None = None,
        spec_version: str | None = None,
        denial_response: bool = False,
    ) -> None:
        scope = base_scope("websocket", path, headers)
        scope.update(scheme="ws", subprotocols=list(subprotocols or []))
        if spec_version:
            scope["spec_version"] = spec_version
        if denial_response:
            scope["extensions"] = {DENIAL_EXTENSION: {}}
        super().__init__(application, scope)
        self.response_headers: list[tuple[bytes, bytes]] | None = None
        #: The HTTP response the application refused the handshake with, if it did.
        self.denial: DenialResponse | None = None

    async def connect(self, timeout: float = 1) -> tuple[bool, Any]:
        """Handshake: ``(True, subprotocol)`` when accepted, ``(False, close code)`` when
        refused, ``(False, HTTP status)`` when refused with a denial response (then in
        :attr:`denial`)."""
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        if response["type"] == "websocket.http.response.start":
            self.denial = await self._denial(response, timeout)
            return False, self.denial.status
        if response["type"] != "websocket.accept":
            raise AssertionError(f"expected websocket.accept or websocket.close, got {response!r}")
        self.response_headers = list(response.get("headers") or [])
        return True, response.get("subprotocol")

    async def _denial(self, start: dict[str, Any], timeout: float) -> DenialResponse:
        if DENIAL_EXTENSION not in self.scope.get("extensions", {}):
            raise AssertionError(
                "the application sent websocket.http.response.start, but the scope does not "
                "list the websocket.http.response extension (servers without it cannot send "
                "it); check scope['extensions'] first, or pass denial_response=True"
            )
        body = b""
        while True:
            event = await self.receive_output(timeout)
            if event["type"] != "websocket.http.response.body":
                raise AssertionError(f"expected websocket.http.response.body, got {event!r}")
            body += event.get("body", b"")
            if not event.get("more_body", False):
                return DenialResponse(start["status"], list(start.get("headers", [])), body)

    async def send_to(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Send one frame (text or bytes) to the application."""
        if (text_data is None) == (bytes_data is None):
            raise ValueError("send_to() takes exactly one of text_data and bytes_data")
        if text_data is not None:
            if not isinstance(text_data, str):
                raise TypeError(f"text_data must be a str, got {text_data!r}")
            await self.send_input({"type": "websocket.receive", "text": text_data})
        else:
            if not isinstance(bytes_data, bytes):
                raise TypeError(f"bytes_data must be bytes, got {bytes_data!r}")
            await self.send_input({"type": "websocket.receive", "bytes": bytes_data})

    async def send_json_to(self, data: Any) -> None:
        """Send ``data`` as a JSON text frame."""
        await self.send_to(text_data=json.dumps(data))

    async def receive_from(self, timeout: float = 1) -> str | bytes:
        """The next frame the application sends (str or bytes)."""
        response = await self.receive_output(timeout)
        if response["type"] != "websocket.send":
            raise AssertionError(f"expected a websocket.send frame, got {response!r}")
        if response.get("text") is not None:
            return str(response["text"])
        return bytes(response["bytes"])

    async def receive_json_from(self, timeout: float = 1) -> Any:
        """The next frame, which must be JSON text, decoded."""
        payload = await self.receive_from(timeout)
        if not isinstance(payload, str):
            raise AssertionError(f"expected a JSON text frame, got bytes {payload!r:.80}")
        return json.loads(payload)

    async def disconnect(self, code: int = 1000, timeout: float = 1) -> None:
        """Close from the client's side and wait for the application to finish."""
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)


__all__ = ["DenialResponse", "WebsocketCommunicator"]
