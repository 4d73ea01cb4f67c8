"""Class-based consumers: :class:`BaseConsumer` and the WebSocket classes.

``from channels.generic import BaseConsumer`` as in 1.x; the WebSocket consumers live in
:mod:`channels.generic.websockets` and are re-exported here for convenience.
"""

from .base import AsyncBaseConsumer, BaseConsumer
from .websockets import (
    AsyncJsonWebsocketConsumer,
    AsyncWebsocketConsumer,
    AsyncWebsocketDemultiplexer,
    JsonWebsocketConsumer,
    WebsocketConsumer,
    WebsocketDemultiplexer,
    WebsocketMultiplexer,
)

__all__ = [
    "AsyncBaseConsumer",
    "AsyncJsonWebsocketConsumer",
    "AsyncWebsocketConsumer",
    "AsyncWebsocketDemultiplexer",
    "BaseConsumer",
    "JsonWebsocketConsumer",
    "WebsocketConsumer",
    "WebsocketDemultiplexer",
    "WebsocketMultiplexer",
]
