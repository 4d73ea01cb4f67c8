"""Consumers that refuse handshakes with an HTTP response (``deny()``), one of each kind of
WebSocket consumer.

The query string picks the answer: none, a denial (401, ``WWW-Authenticate``, a text body);
``open``, an accept; ``close``, ``close()``; ``raise``, ``raise DenyConnection``. Once open,
any frame makes the consumer call ``deny()`` again and report the error it got.
"""

from __future__ import annotations

from channels.exceptions import DenyConnection
from channels.generic.websocket import (
    AsyncJsonWebsocketConsumer,
    AsyncWebsocketConsumer,
    JsonWebsocketConsumer,
    WebsocketConsumer,
)

CHALLENGE = ("WWW-Authenticate", 'Bearer realm="chat"')
BODY = "sign in first: café"


class AsyncLocked(AsyncWebsocketConsumer):
    async def connect(self):
        query = self.scope["query_string"]
        if query == b"open":
            await self.accept()
        elif query == b"close":
            await self.close()
        elif query == b"raise":
            raise DenyConnection()
        else:
            await self.deny(401, BODY, headers=[CHALLENGE])

    async def receive(self, text_data=None, bytes_data=None):
        try:
            await self.deny(401)
        except RuntimeError as error:
            await self.send(text_data=str(error))


class SyncLocked(WebsocketConsumer):
    def connect(self):
        query = self.scope["query_string"]
        if query == b"open":
            self.accept()
        elif query == b"close":
            self.close()
        elif query == b"raise":
            raise DenyConnection()
        else:
            self.deny(401, BODY, headers=[CHALLENGE])

    def receive(self, text_data=None, bytes_data=None):
        try:
            self.deny(401)
        except RuntimeError as error:
            self.send(text_data=str(error))


class AsyncJsonLocked(AsyncJsonWebsocketConsumer):
    async def connect(self):
        if self.scope["query_string"] == b"open":
            await self.accept()
        else:
            await self.deny(401, BODY, headers=[CHALLENGE])

    async def receive_json(self, content, **kwargs):
        try:
            await self.deny(401)
        except RuntimeError as error:
            await self.send_json({"error": str(error)})


class JsonLocked(JsonWebsocketConsumer):
    def connect(self):
        if self.scope["query_string"] == b"open":
            self.accept()
        else:
            self.deny(401, BODY, headers=[CHALLENGE])

    def receive_json(self, content, **kwargs):
        try:
            self.deny(401)
        except RuntimeError as error:
            self.send_json({"error": str(error)})
