"""The consumer flags that bring sessions, users and ordering (channels.sessions/auth),
on sync and async consumers under a real Worker and a real database."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client as HttpTestClient

from tests.generic.conftest import Socket, next_message
from tests.generic.consumers import AsyncCounter, Counter, Ordered, WhoAmI, WhoAmIWithSession

pytestmark = pytest.mark.django_db(transaction=True)


def logged_in_cookie(username: str, **session_data: object) -> list[list[bytes]]:
    """The cookie header of a browser that logged in over HTTP as ``username``."""
    user = User.objects.create_user(username, password="secret-pw")
    browser = HttpTestClient()
    browser.force_login(user)
    if session_data:
        session = browser.session
        session.update(session_data)
        session.save()
    key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    return [[b"cookie", f"{settings.SESSION_COOKIE_NAME}={key}".encode()]]


@pytest.mark.parametrize("consumer", [Counter, AsyncCounter], ids=["sync", "async"])
def test_channel_session_keeps_state_across_a_sockets_messages(serve, consumer) -> None:
    with serve([consumer.as_route()]) as layer:
        socket = Socket(layer)
        socket.connect()
        assert socket.reply() == {"accept": True}
        socket.send(text="a")
        assert socket.reply() == {"text": "2"}
        socket.send(text="b")
        assert socket.reply() == {"text": "3"}
        other = Socket(layer)
        other.connect()
        assert other.reply() == {"accept": True}
        other.send(text="a")
        assert other.reply() == {"text": "2"}


def test_http_user_sees_the_cookie_login_on_connect_receive_and_disconnect(serve) -> None:
    headers = logged_in_cookie("ann")
    with serve([WhoAmI.as_route()]) as layer:
        socket = Socket(layer, headers=headers)
        socket.connect()
        assert socket.reply() == {"accept": True}
        assert socket.reply() == {"text": "connect:ann"}
        socket.send(text="who")  # frames carry no cookie: the channel session remembers
        assert socket.reply() == {"text": "receive:ann"}
        socket.disconnect()
        assert next_message(layer, "whoami.ann") == {"user": "ann"}


def test_http_user_without_a_cookie_is_anonymous(serve) -> None:
    with serve([WhoAmI.as_route()]) as layer:
        socket = Socket(layer)
        socket.connect()
        assert socket.reply() == {"accept": True}
        assert socket.reply() == {"text": "connect:anonymous"}


def test_http_user_and_session_gives_frames_the_http_session(serve) -> None:
    headers = logged_in_cookie("bea", colour="blue")
    with serve([WhoAmIWithSession.as_route()]) as layer:
        socket = Socket(layer, headers=headers)
        socket.connect()
        assert socket.reply() == {"accept": True}
        assert socket.reply() == {"text": "connect:bea"}
        socket.send(text="who")
        assert socket.reply() == {"text": "receive:bea:blue"}


def test_strict_ordering_runs_frames_in_order_whatever_order_they_arrive_in(serve) -> None:
    # One thread: the test database is SQLite in memory (shared cache), where concurrent
    # session writes from several threads fail with "table is locked" instead of waiting.
    # Early frames are still parked and put back; sessions.py's own tests cover many workers.
    with serve([Ordered.as_route()], threads=1) as layer:
        socket = Socket(layer)
        socket.connect()
        assert socket.reply() == {"accept": True}
        for order in (4, 2, 5, 1, 3):
            socket.send(text="x", order=order)
        assert [socket.reply()["text"] for _ in range(5)] == ["1", "2", "3", "4", "5"]
