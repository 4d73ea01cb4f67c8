"""Consumers the session, auth and origin tests route to (in-process workers and the
``runworker`` subprocesses of the end-to-end tests).

End-to-end consumers answer on the socket or, where there is no socket left (disconnect),
report on the :data:`REPORT` channel, which the test reads through Redis.
"""

from __future__ import annotations

import os
from typing import Any

from channels import Channel
from channels.auth import (
    channel_and_http_session_user_from_http,
    channel_session_user,
    channel_session_user_from_http,
)
from channels.exceptions import ConsumeLater
from channels.message import Message
from channels.security.origins import origin_header
from channels.security.websockets import allowed_hosts_only
from channels.sessions import channel_session, enforce_ordering

#: Where end-to-end consumers report what the test cannot see on the socket.
REPORT = "sessions_auth.report"


def _name(user: Any) -> str:
    return user.get_username() if user.is_authenticated else "anonymous"


# -- logged in through the HTTP session cookie -------------------------------------------------


@channel_session_user_from_http
def auth_connect(message: Message) -> None:
    """Accepts and says who connected."""
    message.reply_channel.send({"text": f"connect:{_name(message.user)}"})


@channel_session_user
def auth_receive(message: Message) -> None:
    """Says who sent the frame."""
    message.reply_channel.send({"text": f"receive:{_name(message.user)}"})


@channel_session_user
def auth_disconnect(message: Message) -> None:
    """Reports who left."""
    Channel(REPORT).send({"event": "disconnect", "user": _name(message.user)})


@channel_and_http_session_user_from_http
def both_connect(message: Message) -> None:
    """As :func:`auth_connect`, with both sessions on every message."""
    message.reply_channel.send({"text": f"connect:{_name(message.user)}"})


@channel_and_http_session_user_from_http
def both_receive(message: Message) -> None:
    """As :func:`auth_receive`; also says whether the HTTP session was found."""
    found = "http" if message.http_session is not None else "nohttp"
    message.reply_channel.send({"text": f"receive:{_name(message.user)}:{found}"})


@channel_and_http_session_user_from_http
def both_disconnect(message: Message) -> None:
    """As :func:`auth_disconnect`."""
    Channel(REPORT).send({"event": "disconnect", "user": _name(message.user)})


# -- ordering ------------------------------------------------------------------------------------


@enforce_ordering
def ordered_connect(message: Message) -> None:
    """Accepts."""
    message.reply_channel.send({"accept": True})


@enforce_ordering
def ordered_receive(message: Message) -> None:
    """Echoes the frame with the worker's pid."""
    message.reply_channel.send({"text": f"{message['text']} {os.getpid()}"})


@enforce_ordering
def ordered_disconnect(message: Message) -> None:
    """Nothing to do; keeps the socket's sequence complete."""


# -- origins -------------------------------------------------------------------------------------


def origin_connect(message: Message) -> None:
    """Reports every connect that reached a consumer, with its Origin, and accepts."""
    raw = origin_header(message.get("headers"))
    Channel(REPORT).send(
        {"event": "connect", "origin": raw.decode("latin-1") if raw is not None else None}
    )
    message.reply_channel.send({"accept": True})


@allowed_hosts_only
def strict_origin_connect(message: Message) -> None:
    """Accepts only origins in ALLOWED_HOSTS (and no handshake without one)."""
    message.reply_channel.send({"accept": True})


# -- in-process worker tests (messages carry a ``notify`` channel) -------------------------------


@channel_session
def count_frames(message: Message) -> None:
    """Counts the socket's frames in its channel session and reports the count."""
    message.channel_session["count"] = message.channel_session.get("count", 0) + 1
    Channel(message["notify"]).send({"count": message.channel_session["count"]})


@channel_session
async def async_count_frames(message: Message) -> None:
    """:func:`count_frames`, ``async def``."""
    message.channel_session["count"] = message.channel_session.get("count", 0) + 1
    await Channel(message["notify"]).asend({"count": message.channel_session["count"]})


@enforce_ordering
def record_order(message: Message) -> None:
    """Reports its order; asks for one retry of the message that says so."""
    if message.get("retry_once") and not message.get("__retries__"):
        raise ConsumeLater()
    Channel(message["notify"]).send({"order": message["order"]})


@enforce_ordering
async def async_record_order(message: Message) -> None:
    """:func:`record_order`, ``async def``."""
    await Channel(message["notify"]).asend({"order": message["order"]})


@channel_session_user
def report_user(message: Message) -> None:
    """Reports ``message.user``."""
    Channel(message["notify"]).send({"user": _name(message.user)})


@allowed_hosts_only
def guarded_connect(message: Message) -> None:
    """Accepts when the origin validator let it through."""
    message.reply_channel.send({"accept": True})
