"""``WebsocketCommunicator``: a WebSocket client for an ASGI application, in-process."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from asgiref.testing import ApplicationCommunicator

from .scope import base_scope


class WebsocketCommunicator(ApplicationCommunicator):
    """Drives one WebSocket connection::

    communicator = WebsocketCommunicator(application, "/ws/chat/lobby/")
    connected, subprotocol = await communicator.connect()
    await communicator.send_to(text_data="hello")
    assert await communicator.receive_from() == "hello"
    await communicator.disconnect()
    """

    def __init__(
        self,
        application: Any,
        path: str,
        headers: Iterable[tuple[bytes, bytes]] | None = None,
        subprotocols: Iterable[str] | None = None,
        spec_version: str | None = None,
    ) -> None:
        scope = base_scope("websocket", path, headers)
        scope.update(scheme="ws", subprotocols=list(subprotocols or []))
        if spec_version:
            scope["spec_version"] = spec_version
        super().__init__(application, scope)
        self.response_headers: list[tuple[bytes, bytes]] | None = None

    async def connect(self, timeout: float = 1) -> tuple[bool, Any]:
        """Handshake: ``(True, subprotocol)`` when accepted, ``(False, close code)`` when
        refused."""
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        if response["type"] != "websocket.accept":
            raise AssertionError(f"expected websocket.accept or websocket.close, got {response!r}")
        self.response_headers = list(response.get("headers") or [])
        return True, response.get("subprotocol")

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


__all__ = ["WebsocketCommunicator"]
