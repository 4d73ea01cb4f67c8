"""The seeds' chat example: every socket joins Group("chat") and every frame is relayed to
the whole group. Routed on ``^/chat/`` by :mod:`tests.project.e2e_routing`."""

from __future__ import annotations

from channels import Group
from channels.message import Message


# Connected to websocket.connect
def ws_add(message: Message) -> None:
    """Accept the socket, then join the chat group."""
    message.reply_channel.send({"accept": True})
    Group("chat").add(message.reply_channel)


# Connected to websocket.receive
def ws_message(message: Message) -> None:
    """Relay the frame to everyone in the chat."""
    # The seeds' own line, unchanged.
    Group("chat").send({"text": "[user] %s" % message.content["text"]})  # noqa: UP031


# Connected to websocket.disconnect
def ws_disconnect(message: Message) -> None:
    """Leave the chat group."""
    Group("chat").discard(message.reply_channel)
