"""WebSocket consumers of the benchmark project.

``/echo/``       every frame comes back as it was sent;
``/broadcast/``  accepted and added to the ``bench`` group (discarded on disconnect);
``/idle/``       accepted and left idle (the memory-per-socket measure).
"""

from channels import Group
from channels.message import Message

BROADCAST_GROUP = "bench"


def ws_echo(message: Message) -> None:
    """Send the frame back."""
    if message.get("text") is not None:
        message.reply_channel.send({"text": message["text"]})
    else:
        message.reply_channel.send({"bytes": message["bytes"]})


def ws_accept(message: Message) -> None:
    """Accept an idle socket (the memory-per-socket measure)."""
    message.reply_channel.send({"accept": True})


def ws_join(message: Message) -> None:
    """Accept and join the broadcast group."""
    Group(BROADCAST_GROUP).add(message.reply_channel)
    message.reply_channel.send({"accept": True})


def ws_leave(message: Message) -> None:
    """Leave the broadcast group."""
    Group(BROADCAST_GROUP).discard(message.reply_channel)
