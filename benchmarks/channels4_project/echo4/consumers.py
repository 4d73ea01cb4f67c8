"""The Channels 4-style consumers the benchmark measures."""

import uuid

from channels.generic.http import AsyncHttpConsumer
from channels.generic.websocket import AsyncWebsocketConsumer


class EchoConsumer(AsyncWebsocketConsumer):
    """Sends each frame straight back (no channel layer on the way)."""

    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=text_data, bytes_data=bytes_data)


class GroupEchoConsumer(AsyncWebsocketConsumer):
    """Sends each frame back through the layer, as the chat tutorial does: group_send to
    the socket's own group, then the group message's handler sends it."""

    async def connect(self):
        self.group = "echo-" + uuid.uuid4().hex
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        await self.channel_layer.group_send(self.group, {"type": "echo.text", "text": text_data})

    async def echo_text(self, event):
        await self.send(text_data=event["text"])


class HelloConsumer(AsyncHttpConsumer):
    """Answers the readiness probe."""

    async def handle(self, body):
        await self.send_response(200, b"hello", headers=[(b"content-type", b"text/plain")])
