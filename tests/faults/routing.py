"""Routing of the fault tests: the end-to-end routes plus sockets whose connect consumers
misbehave (take longer than the handshake may wait; answer with an empty frame)."""

from __future__ import annotations

import time

from channels import Group
from channels.message import Message
from channels.routing import route
from tests.project.e2e_routing import channel_routing as e2e_routing


def late_join(message: Message) -> None:
    """Joins a group at once but answers after the handshake was refused."""
    Group("late").add(message.reply_channel)
    time.sleep(float(message.content.get("query_string", b"2").decode() or "2"))
    message.reply_channel.send({"accept": True})


def empty_frame(message: Message) -> None:
    """Joins a group, then answers the connect with an empty text frame."""
    Group("empty").add(message.reply_channel)
    message.reply_channel.send({"text": ""})


channel_routing = [
    route("websocket.connect", late_join, path=r"^/late/$"),
    route("websocket.connect", empty_frame, path=r"^/empty/$"),
    *e2e_routing,
]
