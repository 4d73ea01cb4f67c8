"""Generic WebSocket consumers: connect/receive/disconnect methods instead of three functions.

::

    class Chat(JsonWebsocketConsumer):
        http_user = True                       # message.user from the session cookie
        groups = ["lobby"]                     # joined on connect, left on disconnect

        def receive(self, content, **kwargs):
            self.group_send("lobby", {"said": content["text"], "by": self.message.user.username})

    channel_routing = [Chat.as_route(path=r"^/chat/$")]

The ``Async`` variants have the same API with ``async def`` handlers and awaitable
``send``/``close``/``group_send``; they run on the worker's event loop. Many streams can share
one socket: :class:`WebsocketDemultiplexer` routes ``{"stream": ..., "payload": {...}}``
frames to one consumer per stream, each answering through its :class:`WebsocketMultiplexer`.
"""

from __future__ import annotations

import inspect
import json
import logging
from typing import Any, ClassVar

from asgiref.sync import sync_to_async
from django.core.serializers.json import DjangoJSONEncoder

from ..channel import Channel, Group
from ..exceptions import SendNotAvailableOnDemultiplexer
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
    valid_code = type(value) is int and (value == 1000 or 3000 <= value <= 4999)
    if value is not True and not valid_code:
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
    def multiplexer(self) -> WebsocketMultiplexer | None:
        """The stream's multiplexer when a demultiplexer runs this consumer, else None."""
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


# -- many streams over one socket ------------------------------------------------------------


class WebsocketMultiplexer(JsonCodec):
    """Sends ``{"stream": stream, "payload": payload}`` frames for one stream of a socket.

    A demultiplexer passes one to each stream's consumer as the ``multiplexer`` keyword
    argument; ``group_send`` reaches a group with frames of a given stream.
    """

    def __init__(self, stream: str, reply_channel: Channel) -> None:
        self.stream = stream
        self.reply_channel = reply_channel

    @classmethod
    def encode(cls, stream: str, payload: Any) -> Frame:
        """The reply message carrying ``payload`` on ``stream``."""
        return {"text": cls.encode_json({"stream": stream, "payload": payload})}

    @classmethod
    def error(cls, stream: Any, text: str) -> Frame:
        """The reply message telling the client its frame was not understood."""
        body: dict[str, Any] = {"error": text}
        if isinstance(stream, str):
            body = {"stream": stream, **body}
        return {"text": cls.encode_json(body)}

    def send(self, payload: Any) -> None:
        """Send ``payload`` on this stream."""
        self.reply_channel.send(self.encode(self.stream, payload))

    async def asend(self, payload: Any) -> None:
        """Async :meth:`send`."""
        await self.reply_channel.asend(self.encode(self.stream, payload))

    @classmethod
    def group_send(cls, name: str, stream: str, payload: Any, close: Any = False) -> None:
        """Send ``payload`` on ``stream`` to every socket in group ``name``."""
        Group(name).send(cls._group_frame(stream, payload, close))

    @classmethod
    async def agroup_send(cls, name: str, stream: str, payload: Any, close: Any = False) -> None:
        """Async :meth:`group_send`."""
        await Group(name).asend(cls._group_frame(stream, payload, close))

    @classmethod
    def _group_frame(cls, stream: str, payload: Any, close: Any) -> Frame:
        frame = cls.encode(stream, payload)
        if close:
            frame["close"] = True
        return frame

    def __repr__(self) -> str:
        return f"<WebsocketMultiplexer stream={self.stream!r} on {self.reply_channel.name!r}>"


class FrameError(ValueError):
    """A frame a demultiplexer cannot route; ``stream`` is its stream when it named one."""

    def __init__(self, text: str, stream: Any = None) -> None:
        super().__init__(text)
        self.stream = stream


class DemultiplexerBehaviour(JsonCodec):
    """Frame parsing and stream lookup shared by the sync and async demultiplexers."""

    #: Stream name → consumer (usually a JSON consumer class) for that stream.
    consumers: ClassVar[dict[str, Any]] = {}
    multiplexer_class: ClassVar[type[WebsocketMultiplexer]] = WebsocketMultiplexer
    message: Message

    def parse_frame(self, message: Message) -> tuple[str, Any, dict[str, Any]]:
        """``(stream, consumer, payload)`` of a ``websocket.receive``, or ``FrameError``."""
        text = message.get("text")
        if not isinstance(text, str):
            raise FrameError(
                'binary frame: send JSON text like {"stream": "name", "payload": {...}}'
            )
        try:
            content = self.decode_json(text)
        except ValueError as exc:
            raise FrameError(f"frame is not JSON ({exc})") from exc
        if not isinstance(content, dict) or "stream" not in content or "payload" not in content:
            raise FrameError('frame must be a JSON object {"stream": "name", "payload": {...}}')
        stream = content["stream"]
        consumer = self.consumers.get(stream) if isinstance(stream, str) else None
        if consumer is None:
            raise FrameError(
                f"unknown stream {stream!r}; this socket serves {sorted(self.consumers)!r}",
                stream,
            )
        payload = content["payload"]
        if not isinstance(payload, dict):
            raise FrameError(
                f"payload of stream {stream!r} must be a JSON object, got {payload!r}", stream
            )
        return stream, consumer, payload

    def stream_message(self, message: Message, payload: dict[str, Any]) -> Message:
        """A copy of ``message`` whose ``text`` is the payload, for the stream's consumer."""
        content = dict(message.content)
        content["text"] = json.dumps(payload)
        content.pop("bytes", None)
        return Message(content, message.channel.name, message.channel_layer)

    def multiplexer_for(self, stream: str) -> WebsocketMultiplexer:
        """The multiplexer handed to the consumer of ``stream``."""
        reply = self.message.reply_channel
        assert reply is not None  # checked by raw_connect/raw_receive before
        return self.multiplexer_class(stream, reply)

    def frame_error(self, error: FrameError) -> Frame:
        """Log a bad frame and return the error frame that answers it."""
        logger.warning("%s on %r: %s", type(self).__qualname__, self.message.get("path"), error)
        return self.multiplexer_class.error(error.stream, str(error))

    def send(self, *args: Any, **kwargs: Any) -> None:
        """Not available: a demultiplexer only routes. Send through a stream's multiplexer."""
        raise SendNotAvailableOnDemultiplexer(
            f"{type(self).__qualname__}.send(): a demultiplexer has no stream of its own; send "
            "from the stream's consumer (self.send or its multiplexer keyword argument)"
        )

    @classmethod
    def group_send(cls, *args: Any, **kwargs: Any) -> None:
        """Not available: use ``WebsocketMultiplexer.group_send(group, stream, payload)``."""
        raise SendNotAvailableOnDemultiplexer(
            f"{cls.__qualname__}.group_send(): use WebsocketMultiplexer.group_send(group, "
            "stream, payload) to reach a stream of every socket in a group"
        )


class WebsocketDemultiplexer(DemultiplexerBehaviour, JsonWebsocketConsumer):  # type: ignore[misc]
    """Many streams over one socket: ``{"stream": ..., "payload": {...}}`` frames go to
    ``consumers[stream]``, which answers on its stream (``self.send(content)`` in a JSON
    consumer, or its ``multiplexer`` keyword argument).

    ``connect`` accepts and calls every stream's consumer with the connect message;
    ``disconnect`` does the same. A frame that is not JSON, not of that shape, or names an
    unknown stream is answered with ``{"stream": ..., "error": "..."}`` and logged; the socket
    stays open. Stream consumers must be sync here; use :class:`AsyncWebsocketDemultiplexer`
    for ``async`` ones.
    """

    def connect(self, message: Message, **kwargs: Any) -> None:
        """Accept, then tell every stream."""
        self._reply_channel().send({"accept": True})
        for stream, consumer in self.consumers.items():
            self._call(consumer, message, stream, kwargs)

    def raw_receive(self, message: Message, **kwargs: Any) -> None:
        """Route the frame to its stream's consumer, or answer with an error frame."""
        reply = self._reply_channel()
        try:
            stream, consumer, payload = self.parse_frame(message)
        except FrameError as error:
            reply.send(self.frame_error(error))
            return
        self._call(consumer, self.stream_message(message, payload), stream, kwargs)

    def disconnect(self, message: Message, **kwargs: Any) -> None:
        """Tell every stream."""
        for stream, consumer in self.consumers.items():
            self._call(consumer, message, stream, kwargs)

    def _call(self, consumer: Any, message: Message, stream: str, kwargs: dict[str, Any]) -> None:
        result = consumer(message, multiplexer=self.multiplexer_for(stream), **kwargs)
        if inspect.isawaitable(result):
            # Never awaited here: close it so Python does not warn later, then explain.
            getattr(result, "close", lambda: None)()
            raise TypeError(
                f"the consumer of stream {stream!r} ({consumer!r}) is async; use "
                "AsyncWebsocketDemultiplexer for async stream consumers"
            )


class AsyncWebsocketDemultiplexer(DemultiplexerBehaviour, AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """:class:`WebsocketDemultiplexer` on the worker's event loop: stream consumers may be
    async (awaited) or sync (run in a thread)."""

    async def connect(self, message: Message, **kwargs: Any) -> None:
        """Accept, then tell every stream."""
        await self._reply_channel().asend({"accept": True})
        for stream, consumer in self.consumers.items():
            await self._call(consumer, message, stream, kwargs)

    async def raw_receive(self, message: Message, **kwargs: Any) -> None:
        """Route the frame to its stream's consumer, or answer with an error frame."""
        reply = self._reply_channel()
        try:
            stream, consumer, payload = self.parse_frame(message)
        except FrameError as error:
            await reply.asend(self.frame_error(error))
            return
        await self._call(consumer, self.stream_message(message, payload), stream, kwargs)

    async def disconnect(self, message: Message, **kwargs: Any) -> None:
        """Tell every stream."""
        for stream, consumer in self.consumers.items():
            await self._call(consumer, message, stream, kwargs)

    async def _call(
        self, consumer: Any, message: Message, stream: str, kwargs: dict[str, Any]
    ) -> None:
        multiplexer = self.multiplexer_for(stream)
        from ..routing import is_async_consumer

        if is_async_consumer(consumer):
            result = consumer(message, multiplexer=multiplexer, **kwargs)
            if inspect.isawaitable(result):
                await result
        else:
            await sync_to_async(consumer, thread_sensitive=False)(
                message, multiplexer=multiplexer, **kwargs
            )


__all__ = [
    "AsyncJsonWebsocketConsumer",
    "AsyncWebsocketConsumer",
    "AsyncWebsocketDemultiplexer",
    "FrameError",
    "JsonWebsocketConsumer",
    "SendNotAvailableOnDemultiplexer",
    "WebsocketConsumer",
    "WebsocketDemultiplexer",
    "WebsocketMultiplexer",
]
