"""Consumers of the Channels 4 suite, written as a Channels 4 project writes them."""

from __future__ import annotations

from channels.consumer import AsyncConsumer, SyncConsumer
from channels.db import database_sync_to_async
from channels.exceptions import AcceptConnection, DenyConnection, StopConsumer
from channels.generic.http import AsyncHttpConsumer
from channels.generic.websocket import (
    AsyncJsonWebsocketConsumer,
    AsyncWebsocketConsumer,
    JsonWebsocketConsumer,
    WebsocketConsumer,
)


class EchoConsumer(WebsocketConsumer):
    def receive(self, text_data=None, bytes_data=None):
        self.send(text_data=text_data, bytes_data=bytes_data)


class AsyncEchoConsumer(AsyncWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        if text_data == "close":
            await self.close(code=4001, reason="asked to")
            return
        await self.send(text_data=text_data, bytes_data=bytes_data)


class GatekeeperConsumer(AsyncWebsocketConsumer):
    """Accepts, refuses or picks a subprotocol according to the query string."""

    async def connect(self):
        query = self.scope["query_string"].decode()
        if query == "deny":
            raise DenyConnection()
        if query == "raise-accept":
            raise AcceptConnection()
        if query == "close":
            await self.close()
            return
        await self.accept(
            subprotocol=self.scope["subprotocols"][-1] if self.scope["subprotocols"] else None,
            headers=[(b"x-gate", b"open")],
        )


class GroupsConsumer(AsyncJsonWebsocketConsumer):
    """Joins ``groups`` by the class attribute."""

    groups = ["news"]

    async def news_item(self, event):
        await self.send_json({"news": event["text"]})


class SyncGroupsConsumer(JsonWebsocketConsumer):
    groups = ["news"]

    def receive_json(self, content, **kwargs):
        self.send_json({"echo": content})

    def news_item(self, event):
        self.send_json({"news": event["text"]})


class RouteInfoConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        await self.accept()
        await self.send_json(
            {
                "args": list(self.scope["url_route"]["args"]),
                "kwargs": self.scope["url_route"]["kwargs"],
            }
        )


class UserConsumer(AsyncJsonWebsocketConsumer):
    """Reports ``scope["user"]``; logs in and out on request."""

    async def connect(self):
        await self.accept()
        await self.send_json({"user": self.scope["user"].get_username()})


class GreetingConsumer(AsyncConsumer):
    """A bare consumer for ``channel`` connections: answers ``greet.person`` messages."""

    greeting = "hello"

    async def greet_person(self, message):
        await self.channel_layer.send(
            message["reply_to"], {"type": "greeting", "text": f"{self.greeting} {message['name']}"}
        )


class CountingConsumer(SyncConsumer):
    """A bare sync consumer: counts ``count.up`` messages, stops on ``count.stop``."""

    def count_up(self, message):
        self.send({"type": "counted", "n": message["n"] + 1})

    def count_stop(self, message):
        raise StopConsumer()


class HelloHttpConsumer(AsyncHttpConsumer):
    async def handle(self, body):
        await self.send_response(200, b"hello " + body, headers={"Content-Type": "text/plain"})


class StreamingHttpConsumer(AsyncHttpConsumer):
    async def handle(self, body):
        await self.send_headers(headers=[(b"Content-Type", b"text/event-stream")])
        for n in range(3):
            await self.send_body(f"data: {n}\n\n".encode(), more_body=True)
        await self.send_body(b"")


@database_sync_to_async
def count_users():
    from django.contrib.auth.models import User

    return User.objects.count()
