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

The consumers live in :mod:`channels.generic.websocket_consumers`, multiplexing in
:mod:`channels.generic.multiplexing`; this module is where users import them from.
"""

from __future__ import annotations

from ..exceptions import SendNotAvailableOnDemultiplexer
from .multiplexing import (
    AsyncWebsocketDemultiplexer,
    FrameError,
    WebsocketDemultiplexer,
    WebsocketMultiplexer,
)
from .websocket_consumers import (
    AsyncJsonWebsocketConsumer,
    AsyncWebsocketConsumer,
    JsonWebsocketConsumer,
    WebsocketConsumer,
    close_frame,
    reply_frame,
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
    "close_frame",
    "reply_frame",
]
