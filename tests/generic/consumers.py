"""Consumer classes the generic-consumer tests route to. Each reports what it saw on the
channel named in the message (``notify``) or replies on the socket."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from channels import Channel
from channels.generic import (
    AsyncJsonWebsocketConsumer,
    AsyncWebsocketConsumer,
    AsyncWebsocketDemultiplexer,
    BaseConsumer,
    JsonWebsocketConsumer,
    WebsocketConsumer,
    WebsocketDemultiplexer,
)
from channels.message import Message


class Tasks(BaseConsumer):
    method_mapping = {"tasks.add": "add", "tasks.echo": "echo"}

    def add(self, message: Message, **kwargs: Any) -> None:
        Channel(message["notify"]).send({"sum": message["a"] + message["b"], "kwargs": kwargs})

    def echo(self, message: Message, **kwargs: Any) -> None:
        Channel(message["notify"]).send({"echo": message["value"], "kwargs": kwargs})


class Echo(WebsocketConsumer):
    """Echoes frames; ``close`` closes with 4001; ``bye`` sends then closes."""

    def receive(self, text: str | None = None, bytes: bytes | None = None, **kwargs: Any) -> None:
        if text == "close":
            self.close(4001)
        elif text == "bye":
            self.send(text="bye!", close=True)
        elif text is not None:
            self.send(text=f"{text}|{self.path}|{sorted(kwargs.items())}")
        else:
            self.send(bytes=bytes[::-1])


class Refuser(WebsocketConsumer):
    def connect(self, message: Message, **kwargs: Any) -> None:
        self.close()


class Room(WebsocketConsumer):
    """Joins ``room-<name>`` from the route; broadcasts every frame to the room."""

    def connection_groups(self, **kwargs: Any) -> list[str]:
        return [f"room-{kwargs['room']}"]

    def receive(self, text: str | None = None, bytes: bytes | None = None, **kwargs: Any) -> None:
        self.group_send(f"room-{kwargs['room']}", text=text)

    def disconnect(self, message: Message, **kwargs: Any) -> None:
        self.group_send(f"room-{kwargs['room']}", text="someone left")


class Lobby(WebsocketConsumer):
    groups = ["lobby"]

    def disconnect(self, message: Message, **kwargs: Any) -> None:
        Channel("lobby.left").send({"who": message["reply_channel"]})


class Shouting(JsonWebsocketConsumer):
    """JSON with hooks: keys upper-cased on the way in, a marker on the way out."""

    @classmethod
    def decode_json(cls, text: str) -> Any:
        return {key.upper(): value for key, value in json.loads(text).items()}

    @classmethod
    def encode_json(cls, content: Any) -> str:
        return json.dumps({"shouted": True, **content})

    def receive(self, content: Any = None, **kwargs: Any) -> None:
        if content.get("GROUP"):
            self.group_send(content["GROUP"], {"to": content["GROUP"]})
        else:
            self.send({"got": content})


class JsonLobby(JsonWebsocketConsumer):
    groups = ["json-lobby"]


class Counter(WebsocketConsumer):
    """Counts a socket's messages in its channel session."""

    channel_session = True

    def connect(self, message: Message, **kwargs: Any) -> None:
        message.channel_session["count"] = 1
        self.accept()

    def receive(self, text: str | None = None, bytes: bytes | None = None, **kwargs: Any) -> None:
        self.message.channel_session["count"] += 1
        self.send(text=str(self.message.channel_session["count"]))


class WhoAmI(WebsocketConsumer):
    """Reports ``message.user`` on connect, receive and disconnect."""

    http_user = True

    def connect(self, message: Message, **kwargs: Any) -> None:
        self.accept()
        self.send(text=f"connect:{message.user.username or 'anonymous'}")

    def receive(self, text: str | None = None, bytes: bytes | None = None, **kwargs: Any) -> None:
        self.send(text=f"receive:{self.message.user.username or 'anonymous'}")

    def disconnect(self, message: Message, **kwargs: Any) -> None:
        Channel(f"whoami.{message.user.username}").send({"user": message.user.username})


class WhoAmIWithSession(WhoAmI):
    http_user = False
    http_user_and_session = True

    def receive(self, text: str | None = None, bytes: bytes | None = None, **kwargs: Any) -> None:
        session = self.message.http_session
        self.send(text=f"receive:{self.message.user.username}:{session.get('colour')}")


class Ordered(WebsocketConsumer):
    """Replies with the ``order`` of each frame it runs."""

    strict_ordering = True

    def receive(self, text: str | None = None, bytes: bytes | None = None, **kwargs: Any) -> None:
        self.send(text=str(self.message["order"]))


class Sliding(WebsocketConsumer):
    slight_ordering = True


# -- demultiplexing -------------------------------------------------------------------------


class EchoStream(JsonWebsocketConsumer):
    """A stream consumer: answers through ``self.send`` (its stream) without knowing it."""

    def connect(self, message: Message, multiplexer: Any = None, **kwargs: Any) -> None:
        self.send({"hello": "echo"})

    def receive(self, content: Any = None, **kwargs: Any) -> None:
        self.send({"echo": content, "kwargs": sorted(k for k in kwargs if k != "multiplexer")})

    def disconnect(self, message: Message, **kwargs: Any) -> None:
        Channel(f"streams.{self.multiplexer.stream}").send({"left": True})


class CountStream(JsonWebsocketConsumer):
    """A stream consumer using the ``multiplexer`` argument directly, as in 1.x."""

    def receive(self, content: Any = None, multiplexer: Any = None, **kwargs: Any) -> None:
        multiplexer.send({"count": len(content)})

    def disconnect(self, message: Message, **kwargs: Any) -> None:
        Channel(f"streams.{self.multiplexer.stream}").send({"left": True})


class Demux(WebsocketDemultiplexer):
    consumers = {"echo": EchoStream, "count": CountStream}


# -- async ----------------------------------------------------------------------------------

#: Lets the async tests make one consumer wait for another's message.
gates: dict[str, asyncio.Event] = {}
gates_lock = threading.Lock()


def gate(name: str) -> asyncio.Event:
    with gates_lock:
        return gates.setdefault(name, asyncio.Event())


class AsyncEcho(AsyncWebsocketConsumer):
    """``wait:<name>`` blocks until a frame ``open:<name>`` arrives (on any socket)."""

    async def receive(
        self, text: str | None = None, bytes: bytes | None = None, **kwargs: Any
    ) -> None:
        if text is not None and text.startswith("wait:"):
            await asyncio.wait_for(gate(text[5:]).wait(), 10)
            await self.send(text=f"released:{text[5:]}")
        elif text is not None and text.startswith("open:"):
            gate(text[5:]).set()
            await self.send(text=f"opened:{text[5:]}")
        elif text == "close":
            await self.close(4002)
        elif text is not None:
            await self.send(text=f"async:{text}:{self.path}")
        else:
            await self.send(bytes=bytes[::-1])


class AsyncRoom(AsyncWebsocketConsumer):
    groups = ["async-room"]

    async def receive(
        self, text: str | None = None, bytes: bytes | None = None, **kwargs: Any
    ) -> None:
        await self.group_send("async-room", text=text)

    async def disconnect(self, message: Message, **kwargs: Any) -> None:
        await self.group_send("async-room", text="left")


class AsyncJson(AsyncJsonWebsocketConsumer):
    @classmethod
    def encode_json(cls, content: Any) -> str:
        return json.dumps({"async": True, **content})

    async def receive(self, content: Any = None, **kwargs: Any) -> None:
        if "group" in content:
            await self.group_send(content["group"], {"to": content["group"]})
        else:
            await self.send({"got": content})


class AsyncCounter(AsyncWebsocketConsumer):
    channel_session = True

    async def connect(self, message: Message, **kwargs: Any) -> None:
        message.channel_session["count"] = 1
        await self.accept()

    async def receive(
        self, text: str | None = None, bytes: bytes | None = None, **kwargs: Any
    ) -> None:
        self.message.channel_session["count"] += 1
        await self.send(text=str(self.message.channel_session["count"]))


class AsyncStream(AsyncJsonWebsocketConsumer):
    async def receive(self, content: Any = None, **kwargs: Any) -> None:
        await self.send({"async-stream": content})


class AsyncDemux(AsyncWebsocketDemultiplexer):
    consumers = {"async": AsyncStream, "sync": CountStream}
