"""Routing for the end-to-end tests (``tests/e2e``), selected in their subprocesses with
``CHANNELS_TEST_ROUTING=tests.project.e2e_routing.channel_routing``.

HTTP is left to the default route (Django views, ``tests.project.e2e_urls``). WebSockets:

``/chat/``                 the seeds' chat (:mod:`tests.project.chat`)
``/echo/``                 every frame comes back as it was sent
``/reject/``               the connect is refused (the client sees HTTP 403)
``/close/<room>/``         a frame ``"close <code>"`` makes the server close with ``code``;
                           the socket's disconnect code is reported to ``/watch/<room>/``
``/watch/<room>/``         receives ``"closed <code>"`` for each ``/close/<room>/`` socket
``/room/<room>/``          the chat, in a group of its own per room
"""

from __future__ import annotations

from channels import Group
from channels.message import Message
from channels.routing import route

from . import chat


def echo(message: Message) -> None:
    """Send the frame back unchanged (text or bytes)."""
    if message.content.get("text") is not None:
        message.reply_channel.send({"text": message.content["text"]})
    else:
        message.reply_channel.send({"bytes": message.content["bytes"]})


def reject(message: Message) -> None:
    """Refuse the handshake."""
    message.reply_channel.send({"close": True})


def close_on_request(message: Message, room: str) -> None:
    """``"close 4123"`` closes the socket from the server with code 4123."""
    word, _, code = message.content["text"].partition(" ")
    if word == "close":
        message.reply_channel.send({"close": int(code)})
    else:
        message.reply_channel.send({"text": message.content["text"]})


def report_close(message: Message, room: str) -> None:
    """Tell the room's watchers which code the socket closed with."""
    Group(f"watch-{room}").send({"text": f"closed {message.content['code']}"})


def watch(message: Message, room: str) -> None:
    """Accept a watcher and add it to the room's watch group."""
    Group(f"watch-{room}").add(message.reply_channel)
    message.reply_channel.send({"accept": True})


def unwatch(message: Message, room: str) -> None:
    Group(f"watch-{room}").discard(message.reply_channel)


def room_add(message: Message, room: str) -> None:
    Group(f"room-{room}").add(message.reply_channel)
    message.reply_channel.send({"accept": True})


def room_message(message: Message, room: str) -> None:
    Group(f"room-{room}").send({"text": f"[user] {message.content['text']}"})


def room_discard(message: Message, room: str) -> None:
    Group(f"room-{room}").discard(message.reply_channel)


ROOM = r"^/room/(?P<room>[\w-]+)/$"
CLOSE = r"^/close/(?P<room>[\w-]+)/$"
WATCH = r"^/watch/(?P<room>[\w-]+)/$"

channel_routing = [
    route("websocket.connect", chat.ws_add, path=r"^/chat/"),
    route("websocket.receive", chat.ws_message, path=r"^/chat/"),
    route("websocket.disconnect", chat.ws_disconnect, path=r"^/chat/"),
    route("websocket.receive", echo, path=r"^/echo/"),
    route("websocket.connect", reject, path=r"^/reject/"),
    route("websocket.receive", close_on_request, path=CLOSE),
    route("websocket.disconnect", report_close, path=CLOSE),
    route("websocket.connect", watch, path=WATCH),
    route("websocket.disconnect", unwatch, path=WATCH),
    route("websocket.connect", room_add, path=ROOM),
    route("websocket.receive", room_message, path=ROOM),
    route("websocket.disconnect", room_discard, path=ROOM),
]
