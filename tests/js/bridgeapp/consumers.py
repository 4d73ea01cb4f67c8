"""The socket at ``/bridge/``: two streams, ``echo`` and the ``notes`` binding. ``Echo`` also
serves ``/plain/`` alone, without streams."""

from __future__ import annotations

from typing import Any

from channels.generic.websockets import JsonWebsocketConsumer, WebsocketDemultiplexer

from .bindings import NoteBinding


class Echo(JsonWebsocketConsumer):
    """Sends each payload back on its stream, marked as echoed."""

    def receive(self, content: Any = None, **kwargs: Any) -> None:
        self.send({"echo": content})


class Demultiplexer(WebsocketDemultiplexer):
    """Frames ``{"stream": "echo" | "notes", "payload": {...}}``; every socket joins
    ``notes``, the binding's group."""

    consumers = {"echo": Echo, "notes": NoteBinding.consumer}
    groups = ["notes"]
