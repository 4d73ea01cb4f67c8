"""Channels 4-style WebSocket consumers (beside the 1.x ones in ``generic.websockets``).

Subclass one and override ``connect``, ``receive`` and ``disconnect``::

    class EchoConsumer(WebsocketConsumer):
        def receive(self, text_data=None, bytes_data=None):
            self.send(text_data=text_data, bytes_data=bytes_data)

``groups`` (a list of group names) are joined before ``connect()`` and left on disconnect.
In ``connect()``, raise :class:`~channels.exceptions.DenyConnection` (or call ``close()``) to
refuse the socket and :class:`~channels.exceptions.AcceptConnection` (or call ``accept()``)
to accept it. A close before ``accept()`` refuses the handshake (HTTP 403); ``deny(status,
body, headers)`` refuses it with an HTTP response of your own where the server supports it
(:mod:`channels.generic.denial`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync

from ..consumer import AsyncConsumer, SyncConsumer
from ..exceptions import AcceptConnection, DenyConnection, InvalidChannelLayerError, StopConsumer
from .denial import DenialHeaders, denial_for

Message = dict[str, Any]
Headers = Iterable[tuple[bytes, bytes]]


def accept_message(subprotocol: str | None, headers: Headers | None) -> Message:
    """The ``websocket.accept`` event, with extra response headers when given."""
    message: Message = {"type": "websocket.accept", "subprotocol": subprotocol}
    if headers:
        message["headers"] = list(headers)
    return message


def send_message(text_data: str | None, bytes_data: bytes | None) -> Message:
    """The ``websocket.send`` event of one frame."""
    if text_data is not None:
        return {"type": "websocket.send", "text": text_data}
    if bytes_data is not None:
        return {"type": "websocket.send", "bytes": bytes_data}
    raise ValueError("send() needs text_data or bytes_data; both were None")


def close_message(code: int | bool | None, reason: str | None) -> Message:
    """The ``websocket.close`` event; ``code`` None or True means a normal close (1000)."""
    message: Message = {"type": "websocket.close"}
    if code is not None and code is not True:
        message["code"] = code
    if reason:
        message["reason"] = reason
    return message


def frame_arguments(message: Message) -> dict[str, Any]:
    """``receive()``'s keyword arguments for a ``websocket.receive`` event."""
    if message.get("text") is not None:
        return {"text_data": message["text"]}
    return {"bytes_data": message.get("bytes")}


def _layer_for_groups(consumer: Any) -> Any:
    layer = consumer.channel_layer
    if layer is None or not hasattr(layer, "group_add"):
        raise InvalidChannelLayerError(
            f"{type(consumer).__name__}.groups = {consumer.groups!r} needs a channel layer with "
            "groups, but CHANNEL_LAYERS has none configured for "
            f"{consumer.channel_layer_alias!r}; configure one or remove the groups"
        )
    return layer


class WebsocketConsumer(SyncConsumer):
    """A WebSocket consumer whose methods are plain functions (run in a thread)."""

    groups: list[str] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.groups = list(self.groups or [])
        #: None until the handshake is answered, then "accepted" or "refused".
        self._handshake: str | None = None

    def websocket_connect(self, message: Message) -> None:
        """Join ``groups``, then ``connect()``."""
        if self.groups:
            layer = _layer_for_groups(self)
            for group in self.groups:
                async_to_sync(layer.group_add)(group, self.channel_name)
        try:
            self.connect()
        except AcceptConnection:
            self.accept()
        except DenyConnection:
            self.close()

    def connect(self) -> None:
        """Called on the handshake; accepts by default."""
        self.accept()

    def accept(self, subprotocol: str | None = None, headers: Headers | None = None) -> None:
        """Accept the socket, optionally choosing a subprotocol and adding headers."""
        self._handshake = "accepted"
        super().send(accept_message(subprotocol, headers))

    def deny(
        self, status: int = 403, body: str | bytes = b"", headers: DenialHeaders | None = None
    ) -> None:
        """Refuse the handshake with this HTTP response (a str ``body`` goes as UTF-8 text).

        Servers that do not support the WebSocket denial response extension (the plain
        ``daphne`` command) answer HTTP 403 instead, as for ``close()``. Only before
        ``accept()``: an open socket ends with ``close()``.
        """
        for event in denial_for(self, status, body, headers) or [close_message(None, None)]:
            super().send(event)

    def websocket_receive(self, message: Message) -> None:
        """Hand a frame to ``receive()``."""
        self.receive(**frame_arguments(message))

    def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Called with each frame; does nothing by default."""

    def send(  # type: ignore[override]
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None:
        """Send a text or binary frame; with ``close`` (True or a code), close afterwards."""
        super().send(send_message(text_data, bytes_data))
        if close:
            self.close(close)

    def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        """Close the socket (or refuse it, before ``accept()``)."""
        self._handshake = self._handshake or "refused"
        super().send(close_message(code, reason))

    def websocket_disconnect(self, message: Message) -> None:
        """Leave ``groups``, call ``disconnect(code)``, end the consumer."""
        if self.groups:
            layer = _layer_for_groups(self)
            for group in self.groups:
                async_to_sync(layer.group_discard)(group, self.channel_name)
        self.disconnect(message.get("code", 1000))
        raise StopConsumer()

    def disconnect(self, code: int) -> None:
        """Called when the socket closed, with its close code."""


class JsonWebsocketConsumer(WebsocketConsumer):
    """A :class:`WebsocketConsumer` that exchanges JSON text frames:
    ``receive_json(content)`` and ``send_json(content)``."""

    def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            raise ValueError(
                f"{type(self).__name__} got a binary frame; JSON consumers take text frames only"
            )
        self.receive_json(self.decode_json(text_data))

    def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Called with each frame's decoded JSON."""

    def send_json(self, content: Any, close: bool = False) -> None:
        """Send ``content`` as a JSON text frame."""
        super().send(text_data=self.encode_json(content), close=close)

    @classmethod
    def decode_json(cls, text_data: str) -> Any:
        """Parse a frame (override for another JSON library)."""
        return json.loads(text_data)

    @classmethod
    def encode_json(cls, content: Any) -> str:
        """Serialize ``content`` for a frame."""
        return json.dumps(content)


class AsyncWebsocketConsumer(AsyncConsumer):
    """A WebSocket consumer whose methods are coroutines, run on the server's event loop."""

    groups: list[str] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.groups = list(self.groups or [])
        #: None until the handshake is answered, then "accepted" or "refused".
        self._handshake: str | None = None

    async def websocket_connect(self, message: Message) -> None:
        """Join ``groups``, then ``connect()``."""
        if self.groups:
            layer = _layer_for_groups(self)
            for group in self.groups:
                await layer.group_add(group, self.channel_name)
        try:
            await self.connect()
        except AcceptConnection:
            await self.accept()
        except DenyConnection:
            await self.close()

    async def connect(self) -> None:
        """Called on the handshake; accepts by default."""
        await self.accept()

    async def accept(self, subprotocol: str | None = None, headers: Headers | None = None) -> None:
        """Accept the socket, optionally choosing a subprotocol and adding headers."""
        self._handshake = "accepted"
        await super().send(accept_message(subprotocol, headers))

    async def deny(
        self, status: int = 403, body: str | bytes = b"", headers: DenialHeaders | None = None
    ) -> None:
        """Refuse the handshake with this HTTP response (a str ``body`` goes as UTF-8 text).

        Servers that do not support the WebSocket denial response extension (the plain
        ``daphne`` command) answer HTTP 403 instead, as for ``close()``. Only before
        ``accept()``: an open socket ends with ``close()``.
        """
        for event in denial_for(self, status, body, headers) or [close_message(None, None)]:
            await super().send(event)

    async def websocket_receive(self, message: Message) -> None:
        """Hand a frame to ``receive()``."""
        await self.receive(**frame_arguments(message))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Called with each frame; does nothing by default."""

    async def send(  # type: ignore[override]
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None:
        """Send a text or binary frame; with ``close`` (True or a code), close afterwards."""
        await super().send(send_message(text_data, bytes_data))
        if close:
            await self.close(close)

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        """Close the socket (or refuse it, before ``accept()``)."""
        self._handshake = self._handshake or "refused"
        await super().send(close_message(code, reason))

    async def websocket_disconnect(self, message: Message) -> None:
        """Leave ``groups``, call ``disconnect(code)``, end the consumer."""
        if self.groups:
            layer = _layer_for_groups(self)
            for group in self.groups:
                await layer.group_discard(group, self.channel_name)
        await self.disconnect(message.get("code", 1000))
        raise StopConsumer()

    async def disconnect(self, code: int) -> None:
        """Called when the socket closed, with its close code."""


class AsyncJsonWebsocketConsumer(AsyncWebsocketConsumer):
    """An :class:`AsyncWebsocketConsumer` that exchanges JSON text frames."""

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            raise ValueError(
                f"{type(self).__name__} got a binary frame; JSON consumers take text frames only"
            )
        await self.receive_json(await self.decode_json(text_data))

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Called with each frame's decoded JSON."""

    async def send_json(self, content: Any, close: bool = False) -> None:
        """Send ``content`` as a JSON text frame."""
        await super().send(text_data=await self.encode_json(content), close=close)

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        """Parse a frame (override for another JSON library)."""
        return json.loads(text_data)

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        """Serialize ``content`` for a frame."""
        return json.dumps(content)


__all__ = [
    "AsyncJsonWebsocketConsumer",
    "AsyncWebsocketConsumer",
    "JsonWebsocketConsumer",
    "WebsocketConsumer",
]
