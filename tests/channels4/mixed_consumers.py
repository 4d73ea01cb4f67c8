"""Both programming models in one project: Channels 4 consumers served in-process, 1.x
consumers run by workers, talking through the one channel layer they share."""

from __future__ import annotations

from asgiref.sync import async_to_sync

from channels.consumer import AsyncConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.routing import route


class NewsConsumer(AsyncJsonWebsocketConsumer):
    """Channels 4: a socket in the ``news`` group; echoes frames as ``new:``."""

    groups = ["news"]

    async def receive_json(self, content, **kwargs):
        await self.send_json({"new": content})

    async def news_item(self, event):
        await self.send_json({"news": event["text"]})


class ShoutConsumer(AsyncConsumer):
    """Channels 4, for ``runworker shout``: tells the ``news`` group, loudly."""

    async def shout_text(self, message):
        await self.channel_layer.group_send(
            "news", {"type": "news.item", "text": message["text"].upper()}
        )


def old_connect(message):
    """1.x: accept sockets on /old/."""
    message.reply_channel.send({"accept": True})


def old_receive(message):
    """1.x: echo as ``old:``, and tell the Channels 4 ``news`` group about it."""
    text = message.content["text"]
    message.reply_channel.send({"text": "old:" + text})
    async_to_sync(get_channel_layer().group_send)(
        "news", {"type": "news.item", "text": f"an old socket said {text}"}
    )


channel_routing = [
    route("websocket.connect", old_connect, path=r"^/old/$"),
    route("websocket.receive", old_receive, path=r"^/old/$"),
]
