"""Many streams over one socket: ``{"stream": ..., "payload": {...}}`` frames.

:class:`WebsocketDemultiplexer` (and its async twin) routes each frame of a socket to the
consumer of its stream; that consumer answers through a :class:`WebsocketMultiplexer`,
which wraps its replies in the stream's envelope. Documented, and importable, as
:mod:`channels.generic.websockets`.
"""

from __future__ import annotations

import inspect
import json
import logging
from typing import Any, ClassVar

from asgiref.sync import sync_to_async

from ..channel import Channel, Group
from ..exceptions import SendNotAvailableOnDemultiplexer
from ..message import Message
from .websocket_consumers import (
    AsyncJsonWebsocketConsumer,
    Frame,
    JsonCodec,
    JsonWebsocketConsumer,
)

logger = logging.getLogger("channels.generic")


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
    "AsyncWebsocketDemultiplexer",
    "DemultiplexerBehaviour",
    "FrameError",
    "WebsocketDemultiplexer",
    "WebsocketMultiplexer",
]
