"""message.user from the HTTP session cookie, kept in the channel session, and a logout over
HTTP seen by the socket's next message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.test.utils import override_settings

from channels.auth import (
    channel_and_http_session_user_from_http,
    channel_session_user,
    channel_session_user_from_http,
    http_session_user,
    transfer_user,
)
from channels.message import Message
from channels.sessions import session_for_reply_channel
from tests.session_fixtures import cookie_headers, reply_channel, ws_message
from tests.workers import new_notify, receive, running_worker

pytestmark = pytest.mark.django_db(transaction=True)


def who(message: Message) -> str:
    user = message.user
    return user.get_username() if user.is_authenticated else "anonymous"


@http_session_user
def http_who(message: Message) -> str:
    return who(message)


@channel_session_user_from_http
def connect_who(message: Message) -> str:
    return who(message)


@channel_session_user
def channel_who(message: Message) -> str:
    return who(message)


@channel_and_http_session_user_from_http
def both_who(message: Message) -> str:
    return who(message)


@pytest.fixture
def browser() -> Iterator[Client]:
    """A browser logged in as alice over HTTP (Django's test client: a real session)."""
    # A fast hasher: these tests log in often, and PBKDF2 is slow on purpose.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        User.objects.create_user("alice", password="secret")
        client = Client()
        assert client.login(username="alice", password="secret")
        yield client


def session_cookie(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_http_session_user_is_the_user_of_the_session_cookie(layer: Any, browser: Client) -> None:
    headers = cookie_headers(session_cookie(browser))
    assert (
        http_who(ws_message(layer, "websocket.connect", reply_channel(layer), headers=headers))
        == "alice"
    )
    assert (
        http_who(ws_message(layer, "websocket.connect", reply_channel(layer), headers=[]))
        == "anonymous"
    )


def test_a_socket_logged_in_at_connect_keeps_its_user_on_later_frames(
    layer: Any, browser: Client
) -> None:
    reply = reply_channel(layer)
    connect = ws_message(
        layer, "websocket.connect", reply, headers=cookie_headers(session_cookie(browser))
    )
    assert connect_who(connect) == "alice"
    assert isinstance(connect.user, User)
    assert session_for_reply_channel(reply)[SESSION_KEY] == str(connect.user.pk)
    assert channel_who(ws_message(layer, "websocket.receive", reply, text="hi")) == "alice"
    assert channel_who(ws_message(layer, "websocket.disconnect", reply, code=1000)) == "alice"


def test_a_logout_over_http_is_seen_by_the_next_frame(layer: Any, browser: Client) -> None:
    reply = reply_channel(layer)
    connect_who(
        ws_message(
            layer, "websocket.connect", reply, headers=cookie_headers(session_cookie(browser))
        )
    )
    assert channel_who(ws_message(layer, "websocket.receive", reply, text="1")) == "alice"
    browser.logout()
    frame = ws_message(layer, "websocket.receive", reply, text="2")
    assert channel_who(frame) == "anonymous"
    assert isinstance(frame.user, AnonymousUser)
    assert SESSION_KEY not in session_for_reply_channel(reply)
    # Logging in again over HTTP does not log this socket back in: it needs a new handshake.
    assert browser.login(username="alice", password="secret")
    assert channel_who(ws_message(layer, "websocket.receive", reply, text="3")) == "anonymous"


def test_a_password_change_logs_the_socket_out(layer: Any, browser: Client) -> None:
    reply = reply_channel(layer)
    connect_who(
        ws_message(
            layer, "websocket.connect", reply, headers=cookie_headers(session_cookie(browser))
        )
    )
    alice = User.objects.get(username="alice")
    alice.set_password("changed")
    alice.save()
    assert channel_who(ws_message(layer, "websocket.receive", reply, text="x")) == "anonymous"
    # The channel session itself (e.g. enforce_ordering's position) survives.
    session = session_for_reply_channel(reply)
    assert session.exists(session.session_key)


def test_channel_and_http_session_user_follows_the_http_session(
    layer: Any, browser: Client
) -> None:
    reply = reply_channel(layer)
    headers = cookie_headers(session_cookie(browser))
    assert (
        both_who(ws_message(layer, "websocket.connect", reply, order=0, headers=headers)) == "alice"
    )
    assert both_who(ws_message(layer, "websocket.receive", reply, order=1, text="a")) == "alice"
    browser.logout()
    assert both_who(ws_message(layer, "websocket.receive", reply, order=2, text="b")) == "anonymous"
    assert both_who(ws_message(layer, "websocket.disconnect", reply, order=3)) == "anonymous"


def test_a_socket_without_a_cookie_is_anonymous(layer: Any) -> None:
    reply = reply_channel(layer)
    assert connect_who(ws_message(layer, "websocket.connect", reply, headers=[])) == "anonymous"
    assert channel_who(ws_message(layer, "websocket.receive", reply, text="x")) == "anonymous"


def test_transfer_user_copies_only_a_complete_login() -> None:
    source, target = SessionStore(), SessionStore()
    source[SESSION_KEY] = "1"
    transfer_user(source, target)
    assert SESSION_KEY not in target
    source[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    source[HASH_SESSION_KEY] = "hash"
    transfer_user(source, target)
    assert [target[k] for k in (SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY)] == [
        "1",
        "django.contrib.auth.backends.ModelBackend",
        "hash",
    ]


async def test_async_consumers_get_message_user(layer: Any, browser: Client) -> None:
    from asgiref.sync import sync_to_async

    @channel_session_user_from_http
    async def connect(message: Message) -> str:
        return who(message)

    @channel_session_user
    async def frame(message: Message) -> str:
        return who(message)

    reply = reply_channel(layer)
    cookie = await sync_to_async(session_cookie)(browser)
    assert (
        await connect(ws_message(layer, "websocket.connect", reply, headers=cookie_headers(cookie)))
        == "alice"
    )
    assert await frame(ws_message(layer, "websocket.receive", reply, text="x")) == "alice"


def test_a_worker_gives_consumers_the_user(layer: Any, browser: Client) -> None:
    reply = reply_channel(layer)
    connect_who(
        ws_message(
            layer, "websocket.connect", reply, headers=cookie_headers(session_cookie(browser))
        )
    )
    notify, prefix = new_notify(layer)
    with running_worker(layer, threads=1):
        layer.send(
            "websocket.receive",
            {"reply_channel": reply, "path": "/unit/user/", "order": 1, "notify": notify},
        )
        assert receive(layer, prefix)[1] == {"user": "alice"}
        browser.logout()
        layer.send(
            "websocket.receive",
            {"reply_channel": reply, "path": "/unit/user/", "order": 2, "notify": notify},
        )
        assert receive(layer, prefix)[1] == {"user": "anonymous"}
