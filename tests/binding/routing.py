"""Routing for the binding tests: one demultiplexed socket at ``/binding/<room>/``."""

from __future__ import annotations

from typing import Any

from channels.generic.websockets import WebsocketDemultiplexer
from channels.routing import route_class

from .testapp.bindings import NoteBinding, ThingBinding


class Demultiplexer(WebsocketDemultiplexer):
    """Streams ``things`` and ``notes``; the socket joins its room's group and ``notes``."""

    consumers = {"things": ThingBinding.consumer, "notes": NoteBinding.consumer}

    def connection_groups(self, **kwargs: Any) -> list[str]:
        return [f"room-{kwargs['room']}", "notes"]


channel_routing = [
    route_class(Demultiplexer, path=r"^/binding/(?P<room>[a-z]+)/$"),
]
