"""Consumers the testing-tool tests route to."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group as AuthGroup
from django.db import transaction

from channels import Channel
from channels.exceptions import DenyConnection, WebsocketCloseException
from channels.generic import AsyncJsonWebsocketConsumer, JsonWebsocketConsumer, WebsocketConsumer
from channels.message import Message


def echo(message: Message, **kwargs: Any) -> None:
    """Replies with the content it got (minus the reply channel) and the route kwargs."""
    content = {k: v for k, v in message.content.items() if k != "reply_channel"}
    message.reply_channel.send({"got": content, "kwargs": kwargs})


def other_echo(message: Message, **kwargs: Any) -> None:
    message.reply_channel.send({"other": True})


async def async_echo(message: Message, **kwargs: Any) -> None:
    await message.reply_channel.asend({"async": message["value"]})


def deny(message: Message, **kwargs: Any) -> None:
    raise DenyConnection()


def close_4000(message: Message, **kwargs: Any) -> None:
    raise WebsocketCloseException(4000)


def make_auth_group(message: Message, **kwargs: Any) -> None:
    """Writes to the database, then tells the reply channel."""
    AuthGroup.objects.create(name=message["name"])
    message.reply_channel.send({"created": message["name"]})


def make_auth_group_on_commit(message: Message, **kwargs: Any) -> None:
    """Writes to the database, tells the reply channel, and tells it again on commit."""
    name = message["name"]
    AuthGroup.objects.create(name=name)
    reply = message.reply_channel
    transaction.on_commit(lambda: reply.send({"committed": name}))
    reply.send({"created": name})


def task(message: Message, **kwargs: Any) -> None:
    Channel("task.done").send({"value": message["value"]})


class JsonEcho(JsonWebsocketConsumer):
    def receive(self, content: Any = None, **kwargs: Any) -> None:
        self.send({"echo": content, "path": self.path})


class WhoAmI(WebsocketConsumer):
    http_user = True

    def connect(self, message: Message, **kwargs: Any) -> None:
        self.accept()
        self.send(text=message.user.username or "anonymous")

    def receive(self, text: str | None = None, bytes: bytes | None = None, **kwargs: Any) -> None:
        self.send(text=f"still {self.message.user.username or 'anonymous'}")


class HeadersAndQuery(WebsocketConsumer):
    def connect(self, message: Message, **kwargs: Any) -> None:
        self.accept()
        headers = {bytes(k).decode(): bytes(v).decode() for k, v in message["headers"]}
        self.send(text=f"{message['query_string'].decode()}|{headers.get('x-token')}")


class Greeter(WebsocketConsumer):
    """Greets in its connect: an implicit accept carrying data."""

    def connect(self, message: Message, **kwargs: Any) -> None:
        self.send(text="welcome")


class AsyncShout(AsyncJsonWebsocketConsumer):
    """An async consumer, to see it served by runserver's workers."""

    async def receive(self, content: Any = None, **kwargs: Any) -> None:
        await self.send({"shout": str(content.get("say", "")).upper()})


class UserExists(WebsocketConsumer):
    """Says whether the user named in the path exists: the live server's database view."""

    def connect(self, message: Message, **kwargs: Any) -> None:
        from django.contrib.auth.models import User

        self.accept()
        self.send(text=str(User.objects.filter(username=kwargs["username"]).exists()))
