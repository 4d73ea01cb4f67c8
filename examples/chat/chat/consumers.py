"""The chat consumers: one Group per room.

``websocket.connect`` accepts a logged-in user's socket and adds it to the room's group;
``websocket.receive`` broadcasts each frame to the room, naming the sender; and
``websocket.disconnect`` takes the socket out of the group. Frames sent to the browser are
JSON: ``{"type": "message", "user": ..., "text": ...}`` or ``{"type": "joined"|"left",
"user": ...}``.
"""

import json

from channels import Group
from channels.auth import channel_session_user, channel_session_user_from_http
from channels.security.websockets import allowed_hosts_only

#: Longest message relayed; longer ones are cut, so one client cannot flood the room.
MAX_TEXT = 2000


def room_group(room):
    """The group of a room's sockets (room names are ``[A-Za-z0-9_-]``, valid in a group name)."""
    return Group(f"chat-{room}")


def broadcast(room, **frame):
    room_group(room).send({"text": json.dumps(frame)})


# Connected to websocket.connect. The Origin header must name one of ALLOWED_HOSTS (refusing
# other sites' pages, which would otherwise use the visitor's cookies), and the user logged in
# over HTTP is copied into this socket's channel session, where later frames find it.
@allowed_hosts_only
@channel_session_user_from_http
def ws_connect(message, room):
    if not message.user.is_authenticated:
        # No name yet: refuse the handshake (the browser sees it closed).
        message.reply_channel.send({"close": True})
        return
    message.reply_channel.send({"accept": True})
    room_group(room).add(message.reply_channel)
    broadcast(room, type="joined", user=message.user.username)


# Connected to websocket.receive
@channel_session_user
def ws_receive(message, room):
    text = message.content.get("text")
    if not text or not message.user.is_authenticated:
        return
    broadcast(room, type="message", user=message.user.username, text=text[:MAX_TEXT])


# Connected to websocket.disconnect
@channel_session_user
def ws_disconnect(message, room):
    room_group(room).discard(message.reply_channel)
    if message.user.is_authenticated:
        broadcast(room, type="left", user=message.user.username)
