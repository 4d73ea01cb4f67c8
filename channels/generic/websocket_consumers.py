"""The generic WebSocket consumers: connect/receive/disconnect methods instead of three
functions, text and JSON, sync and ``async def``. Documented, and importable, as
:mod:`channels.generic.websockets`; the multiplexing classes are in
:mod:`channels.generic.multiplexing`.
"""

from __future__ import annotations

import json
import logging
from typing import Any, ClassVar

from django.core.serializers.json import DjangoJSONEncoder

from ..channel import Channel, Group
from ..closecodes import is_application_code
from ..message import Message
from .base import AsyncBaseConsumer, BaseConsumer, Decorator, Handler

logger = logging.getLogger("channels.generic")

Frame = dict[str, Any]


def reply_frame(text: str | None = None, bytes: bytes | None = None, close: Any = False) -> Frame:
    """The reply-channel message for a ``send``: text or bytes, and a close if asked."""
    if text is not None and bytes is not None:
        raise ValueError("send() takes text or bytes, not both")
    if text is None and bytes is None:
        raise ValueError("send() needs text= or bytes=; to close without data use close()")
    frame: Frame = {"text": text} if text is not None else {"bytes": bytes}
    if close:
        frame["close"] = close
    return frame


def close_frame(code: Any = True, status: Any = None) -> Frame:
    """The reply-channel message for ``close(code)`` (``status`` is the 1.x name)."""
    value = status if status is not None else code
    if value is not True and not is_application_code(value):
        raise ValueError(
            f"invalid WebSocket close code {value!r}: use True, 1000, or 3000-4999 for your own"
        )
    return {"close": value}


class WebsocketBehaviour:
    """What the sync and async WebSocket consumers share: routing, flags, groups."""

    method_mapping: ClassVar[dict[str, str]] = {
        "websocket.connect": "raw_connect",
        "websocket.receive": "raw_receive",
        "websocket.disconnect": "raw_disconnect",
    }
    #: ``message.user`` (and a channel session) from the HTTP session cookie of the connect.
    http_user: ClassVar[bool] = False
    #: As ``http_user``, plus ``message.http_session`` on every message, not only connect.
    http_user_and_session: ClassVar[bool] = False
    #: Run this socket's messages in ``order`` sequence even with many workers.
    strict_ordering: ClassVar[bool] = False
    #: Removed in 1.0; setting it is an error.
    slight_ordering: ClassVar[bool] = False
    #: Groups the socket joins on connect and leaves on disconnect.
    groups: ClassVar[list[str] | None] = None

    channel_session: ClassVar[bool]
    channel_session_user: ClassVar[bool]
    message: Message
    kwargs: dict[str, Any]
    path: str | None

    @property
    def multiplexer(self) -> Any:
        """The stream's :class:`~channels.generic.multiplexing.WebsocketMultiplexer` when a
        demultiplexer runs this consumer, else None."""
        return self.kwargs.get("multiplexer")

    def connection_groups(self, **kwargs: Any) -> list[str]:
        """The groups of this connection (``groups`` by default); override to compute them
        from the route's keyword arguments."""
        return list(self.groups or [])

    def session_decorators(self, message: Message) -> list[Decorator]:
        if self.slight_ordering:
            raise ValueError(
                f"{type(self).__qualname__}.slight_ordering was removed; use strict_ordering"
            )
        # Every handler, not just connect's, goes through the HTTP decorators: they reuse the
        # channel session filled at connect when a frame carries no cookie.
        wants_user = self.channel_session_user or self.http_user or self.http_user_and_session
        decorators: list[Decorator] = []
        if wants_user:
            from ..auth import channel_session_user

            decorators.append(channel_session_user)
        elif self.channel_session:
            from ..sessions import channel_session

            decorators.append(channel_session)
        if self.http_user_and_session:
            from ..auth import channel_and_http_session_user_from_http

            decorators.append(channel_and_http_session_user_from_http)
        elif self.http_user:
            from ..auth import channel_session_user_from_http

            decorators.append(channel_session_user_from_http)
        if self.strict_ordering:
            from ..sessions import enforce_ordering

            decorators.append(enforce_ordering)
        return decorators

    def get_handler(self, message: Message, **kwargs: Any) -> Handler:
        self.path = message.get("path")
        return super().get_handler(message, **kwargs)  # type: ignore[misc,no-any-return]

    def _group(self, name: str) -> Group:
        return Group(name, channel_layer=self.message.channel_layer)

    def _reply_channel(self) -> Channel:
        reply = self.message.reply_channel
        if reply is None:
            raise ValueError(
                f"{type(self).__qualname__} cannot reply: the message on "
                f"{self.message.channel.name!r} has no reply_channel"
            )
        return reply


class WebsocketConsumer(WebsocketBehaviour, BaseConsumer):
    """A WebSocket handled by three methods: ``connect``, ``receive``, ``disconnect``.

    ``connect`` accepts by default; call ``self.close()`` in it to refuse. ``receive`` gets
    ``text=`` or ``bytes=`` and the route's keyword arguments. Replies go to this socket with
    ``send(text=..., bytes=..., close=...)`` and ``close(code)``; ``group_send`` reaches a group.
    """

    def raw_connect(self, message: Message, **kwargs: Any) -> None:
        """Join the connection groups, then ``connect``."""
        for group in self.connection_groups(**kwargs):
            self._group(group).add(self._reply_channel())
        self.connect(message, **kwargs)

    def connect(self, message: Message, **kwargs: Any) -> None:
        """Called for ``websocket.connect``; accepts the socket."""
        self.accept()

    def accept(self) -> None:
        """Accept the socket (a demultiplexer's streams leave that to the demultiplexer)."""
        if self.multiplexer is None:
            self._reply_channel().send({"accept": True})

    def raw_receive(self, message: Message, **kwargs: Any) -> None:
        """Pass the frame's ``text`` or ``bytes`` to ``receive``."""
        if "text" in message:
            self.receive(text=message["text"], **kwargs)
        else:
            self.receive(bytes=message.get("bytes"), **kwargs)

    def receive(self, text: str | None = None, bytes: bytes | None = None, **kwargs: Any) -> None:
        """Called for each frame; does nothing by default."""

    def send(self, text: str | None = None, bytes: bytes | None = None, close: Any = False) -> None:
        """Send a text or binary frame to this socket (and close it if ``close``)."""
        self._reply_channel().send(reply_frame(text, bytes, close))

    def close(self, code: Any = True, *, status: Any = None) -> None:
        """Close the socket, with a close code if given (1000 or 3000-4999)."""
        self._reply_channel().send(close_frame(code, status))

    @classmethod
    def group_send(
        cls, name: str, text: str | None = None, bytes: bytes | None = None, close: Any = False
    ) -> None:
        """Send a frame to every socket in group ``name``."""
        Group(name).send(reply_frame(text, bytes, close))

    def raw_disconnect(self, message: Message, **kwargs: Any) -> None:
        """Leave the connection groups, then ``disconnect``."""
        for group in self.connection_groups(**kwargs):
            self._group(group).discard(self._reply_channel())
        self.disconnect(message, **kwargs)

    def disconnect(self, message: Message, **kwargs: Any) -> None:
        """Called for ``websocket.disconnect``; does nothing by default."""


class JsonCodec:
    """The JSON hooks of the JSON consumers; override to change the encoding."""

    @classmethod
    def decode_json(cls, text: str) -> Any:
        """Text frame → Python value."""
        return json.loads(text)

    @classmethod
    def encode_json(cls, content: Any) -> str:
        """Python value → text frame (Django's encoder: dates, decimals, UUIDs work)."""
        return json.dumps(content, cls=DjangoJSONEncoder)


def _json_text(message: Message, consumer: object) -> str:
    text = message.get("text")
    if not isinstance(text, str):
        raise ValueError(
            f"{type(consumer).__qualname__} takes JSON text frames, got a binary frame on "
            f"{message.get('path')!r}; send text, or use WebsocketConsumer for binary data"
        )
    return text


class JsonWebsocketConsumer(JsonCodec, WebsocketConsumer):
    """A :class:`WebsocketConsumer` speaking JSON: ``receive(content)`` gets the decoded
    frame, ``send(content)`` encodes. Run by a demultiplexer, ``send`` goes out on the
    consumer's stream."""

    def raw_receive(self, message: Message, **kwargs: Any) -> None:
        """Decode the text frame and pass it to ``receive``."""
        self.receive(self.decode_json(_json_text(message, self)), **kwargs)

    def receive(self, content: Any = None, **kwargs: Any) -> None:  # type: ignore[override]
        """Called with each decoded frame; does nothing by default."""

    def send(self, content: Any, close: Any = False) -> None:  # type: ignore[override]
        """Send ``content`` as JSON (on the stream when demultiplexed)."""
        multiplexer = self.multiplexer
        if multiplexer is not None:
            multiplexer.send(content)
            if close:
                self.close(close)
            return
        super().send(text=self.encode_json(content), close=close)

    @classmethod
    def group_send(cls, name: str, content: Any, close: Any = False) -> None:  # type: ignore[override]
        """Send ``content`` as JSON to every socket in group ``name``."""
        Group(name).send(reply_frame(cls.encode_json(content), None, close))


class AsyncWebsocketConsumer(WebsocketBehaviour, AsyncBaseConsumer):
    """:class:`WebsocketConsumer` for ``async def`` code, run on the worker's event loop:
    ``async def connect/receive/disconnect``, ``await self.send(...)``, ``await self.close()``,
    ``await Cls.group_send(...)``."""

    async def raw_connect(self, message: Message, **kwargs: Any) -> None:
        """Join the connection groups, then ``connect``."""
        for group in self.connection_groups(**kwargs):
            await self._group(group).aadd(self._reply_channel())
        await self.connect(message, **kwargs)

    async def connect(self, message: Message, **kwargs: Any) -> None:
        """Called for ``websocket.connect``; accepts the socket."""
        await self.accept()

    async def accept(self) -> None:
        """Accept the socket (a demultiplexer's streams leave that to the demultiplexer)."""
        if self.multiplexer is None:
            await self._reply_channel().asend({"accept": True})

    async def raw_receive(self, message: Message, **kwargs: Any) -> None:
        """Pass the frame's ``text`` or ``bytes`` to ``receive``."""
        if "text" in message:
            await self.receive(text=message["text"], **kwargs)
        else:
            await self.receive(bytes=message.get("bytes"), **kwargs)

    async def receive(
        self, text: str | None = None, bytes: bytes | None = None, **kwargs: Any
    ) -> None:
        """Called for each frame; does nothing by default."""

    async def send(
        self, text: str | None = None, bytes: bytes | None = None, close: Any = False
    ) -> None:
        """Send a text or binary frame to this socket (and close it if ``close``)."""
        await self._reply_channel().asend(reply_frame(text, bytes, close))

    async def close(self, code: Any = True, *, status: Any = None) -> None:
        """Close the socket, with a close code if given (1000 or 3000-4999)."""
        await self._reply_channel().asend(close_frame(code, status))

    @classmethod
    async def group_send(
        cls, name: str, text: str | None = None, bytes: bytes | None = None, close: Any = False
    ) -> None:
        """Send a frame to every socket in group ``name``."""
        await Group(name).asend(reply_frame(text, bytes, close))

    async def raw_disconnect(self, message: Message, **kwargs: Any) -> None:
        """Leave the connection groups, then ``disconnect``."""
        for group in self.connection_groups(**kwargs):
            await self._group(group).adiscard(self._reply_channel())
        await self.disconnect(message, **kwargs)

    async def disconnect(self, message: Message, **kwargs: Any) -> None:
        """Called for ``websocket.disconnect``; does nothing by default."""


class AsyncJsonWebsocketConsumer(JsonCodec, AsyncWebsocketConsumer):
    """:class:`JsonWebsocketConsumer` for ``async def`` code."""

    async def raw_receive(self, message: Message, **kwargs: Any) -> None:
        """Decode the text frame and pass it to ``receive``."""
        await self.receive(self.decode_json(_json_text(message, self)), **kwargs)

    async def receive(self, content: Any = None, **kwargs: Any) -> None:  # type: ignore[override]
        """Called with each decoded frame; does nothing by default."""

    async def send(self, content: Any, close: Any = False) -> None:  # type: ignore[override]
        """Send ``content`` as JSON (on the stream when demultiplexed)."""
        multiplexer = self.multiplexer
        if multiplexer is not None:
            await multiplexer.asend(content)
            if close:
                await self.close(close)
            return
        await super().send(text=self.encode_json(content), close=close)

    @classmethod
    async def group_send(cls, name: str, content: Any, close: Any = False) -> None:  # type: ignore[override]
        """Send ``content`` as JSON to every socket in group ``name``."""
        await Group(name).asend(reply_frame(cls.encode_json(content), None, close))


__all__ = [
    "AsyncJsonWebsocketConsumer",
    "AsyncWebsocketConsumer",
    "Frame",
    "JsonCodec",
    "JsonWebsocketConsumer",
    "WebsocketBehaviour",
    "WebsocketConsumer",
    "close_frame",
    "reply_frame",
]
