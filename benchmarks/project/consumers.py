"""WebSocket consumers of the benchmark project.

``/echo/``       every frame comes back as it was sent;
``/broadcast/``  accepted and added to the ``bench`` group (discarded on disconnect);
``/idle/``       accepted and left idle (the memory-per-socket measure).

And the long-poll pair of ``benchmarks/longpoll.py``: ``longpoll.park`` parks a request's
reply channel in the ``longpoll`` group; a message on ``longpoll.release`` answers them all.
"""

from django.http import HttpResponse

from channels import Group
from channels.handler import AsgiHandler
from channels.message import Message

BROADCAST_GROUP = "bench"
LONGPOLL_GROUP = "longpoll"


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


def longpoll_park(message: Message) -> None:
    """Park a request handed over by ``views.park``: its reply channel joins the group."""
    Group(LONGPOLL_GROUP).add(message["reply_channel"])


def longpoll_release(message: Message) -> None:
    """Answer every parked request with one group message (a complete response)."""
    (reply,) = AsgiHandler.encode_response(HttpResponse(b"Released.", content_type="text/plain"))
    Group(LONGPOLL_GROUP).send(reply, immediately=True)
