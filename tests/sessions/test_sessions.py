"""channel_session, http_session and channel_and_http_session: direct calls with real
Messages, and a real Worker on the in-memory layer."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore as DbSessionStore
from django.contrib.sessions.models import Session
from django.test.utils import override_settings

from channels.exceptions import ConsumeLater
from channels.message import Message
from channels.routing import is_async_consumer
from channels.sessions import (
    channel_and_http_session,
    channel_session,
    channel_session_key,
    http_session,
    session_for_reply_channel,
)
from tests.session_fixtures import cookie_headers, reply_channel, ws_message
from tests.sessions import barrier_sessions
from tests.workers import new_notify, receive, running_worker

ENGINES = [
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cache",
    "django.contrib.sessions.backends.cached_db",
    "django.contrib.sessions.backends.file",
]


@channel_session
def remember(message: Message) -> Any:
    """Stores ``value`` under ``key`` and returns what was there before."""
    before = message.channel_session.get(message["key"])
    message.channel_session[message["key"]] = message["value"]
    return before


def test_the_session_key_of_a_reply_channel_is_stable_and_django_sized() -> None:
    key = channel_session_key("daphne.response.abc!def")
    assert key == channel_session_key("daphne.response.abc!def")
    assert key != channel_session_key("daphne.response.abc!deg")
    assert key.startswith("chn") and len(key) == 32


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("engine", ENGINES)
def test_every_message_of_a_socket_finds_the_same_channel_session(
    layer: Any, engine: str, tmp_path: Any
) -> None:
    with override_settings(SESSION_ENGINE=engine, SESSION_FILE_PATH=str(tmp_path)):
        reply = reply_channel(layer)
        first = ws_message(layer, "websocket.connect", reply, key="room", value="lobby")
        assert remember(first) is None
        assert first.channel_session.session_key == channel_session_key(reply)
        again = ws_message(layer, "websocket.receive", reply, key="room", value="kitchen")
        assert remember(again) == "lobby"
        other = ws_message(layer, "websocket.receive", reply_channel(layer), key="room", value="x")
        assert remember(other) is None
        assert session_for_reply_channel(reply)["room"] == "kitchen"


@pytest.mark.django_db(transaction=True)
def test_the_channel_session_is_saved_when_the_consumer_raised(layer: Any) -> None:
    @channel_session
    def fails(message: Message) -> None:
        message.channel_session["seen"] = True
        raise RuntimeError("boom")

    reply = reply_channel(layer)
    with pytest.raises(RuntimeError, match="boom"):
        fails(ws_message(layer, "websocket.receive", reply))
    assert session_for_reply_channel(reply)["seen"] is True


@pytest.mark.django_db(transaction=True)
def test_a_flushed_channel_session_is_not_brought_back(layer: Any) -> None:
    @channel_session
    def forget(message: Message) -> None:
        message.channel_session.flush()

    reply = reply_channel(layer)
    remember(ws_message(layer, "websocket.connect", reply, key="k", value=1))
    assert Session.objects.filter(session_key=channel_session_key(reply)).exists()
    forget(ws_message(layer, "websocket.receive", reply))
    assert not Session.objects.filter(session_key=channel_session_key(reply)).exists()
    assert remember(ws_message(layer, "websocket.receive", reply, key="k", value=2)) is None


def test_the_signed_cookies_engine_is_refused_with_a_clear_error(layer: Any) -> None:
    engine = "django.contrib.sessions.backends.signed_cookies"
    with override_settings(SESSION_ENGINE=engine), pytest.raises(ValueError) as caught:
        remember(ws_message(layer, "websocket.connect", reply_channel(layer), key="k", value=1))
    assert "signed-cookies" in str(caught.value) and "CHANNEL_SESSION_ENGINE" in str(caught.value)


@pytest.mark.django_db(transaction=True)
def test_channel_session_engine_overrides_session_engine(layer: Any, cache_sessions: None) -> None:
    reply = reply_channel(layer)
    with override_settings(
        SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
        CHANNEL_SESSION_ENGINE="django.contrib.sessions.backends.db",
    ):
        remember(ws_message(layer, "websocket.connect", reply, key="k", value=1))
    stored = Session.objects.get(session_key=channel_session_key(reply))
    assert DbSessionStore().decode(stored.session_data) == {"k": 1}


def test_channel_session_works_on_consumer_methods(layer: Any, cache_sessions: None) -> None:
    class Consumer:
        @channel_session
        def receive(self, message: Message) -> int:
            message.channel_session["n"] = message.channel_session.get("n", 0) + 1
            return int(message.channel_session["n"])

    reply = reply_channel(layer)
    consumer = Consumer()
    assert consumer.receive(ws_message(layer, "websocket.receive", reply)) == 1
    assert consumer.receive(ws_message(layer, "websocket.receive", reply)) == 2


def test_channel_session_without_a_message_or_reply_channel_says_so(
    layer: Any, cache_sessions: None
) -> None:
    with pytest.raises(ValueError, match="needs a consumer called with a Message"):
        remember({"reply_channel": "x!y"})
    # The text starts as it did in 1.x, with the decorator's own name.
    with pytest.raises(ValueError) as raised:
        remember({"reply_channel": "x!y"})
    assert str(raised.value).startswith("channel_session called without Message instance")
    with pytest.raises(ValueError) as raised:
        http_session(lambda message: None)("not a message")
    assert str(raised.value).startswith("http_session called without Message instance")
    with pytest.raises(ValueError, match="reply_channel"):
        remember(Message({"key": "k", "value": 1}, "some.task", layer))


def test_a_hand_built_message_without_reply_channel_gets_a_value_error(
    layer: Any, cache_sessions: None
) -> None:
    # Message(content, None, None), as 1.x consumer tests build them: not a TypeError from
    # Channel, but the decorator's ValueError about the missing reply channel.
    with pytest.raises(ValueError, match="reply_channel"):
        remember(Message({"key": "k", "value": 1}, None, None))


def test_nested_channel_sessions_share_one_session(layer: Any, cache_sessions: None) -> None:
    @channel_session
    def outer(message: Message) -> Any:
        session = message.channel_session
        remember(message)
        return session is message.channel_session

    reply = reply_channel(layer)
    assert outer(ws_message(layer, "websocket.receive", reply, key="k", value=1)) is True
    assert session_for_reply_channel(reply)["k"] == 1


def test_two_workers_creating_one_session_at_once_lose_no_data(layer: Any, tmp_path: Any) -> None:
    reply = reply_channel(layer)
    outcomes: dict[str, str] = {}

    def run(key: str) -> None:
        try:
            remember(ws_message(layer, "websocket.receive", reply, key=key, value=key))
            outcomes[key] = "ran"
        except ConsumeLater:
            outcomes[key] = "later"

    engine = "tests.sessions.barrier_sessions"
    with override_settings(SESSION_ENGINE=engine, SESSION_FILE_PATH=str(tmp_path)):
        barrier_sessions.BARRIER = threading.Barrier(2)
        try:
            threads = [threading.Thread(target=run, args=(key,)) for key in ("a", "b")]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(15)
                assert not thread.is_alive()
        finally:
            barrier_sessions.BARRIER = None
        assert sorted(outcomes.values()) == ["later", "ran"]
        # The worker runs the postponed message again: it now finds the other's data.
        (postponed,) = [key for key, outcome in outcomes.items() if outcome == "later"]
        run(postponed)
        session = session_for_reply_channel(reply)
        assert (session.get("a"), session.get("b")) == ("a", "b")


# The worker sends consumer_started through sync_to_async for async consumers; its
# close_old_connections touches a connection an earlier test may have left in that thread.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/unit/count/", "/unit/async-count/"])
def test_a_worker_keeps_the_channel_session_between_frames(
    layer: Any, cache_sessions: None, path: str
) -> None:
    notify, prefix = new_notify(layer)
    reply = reply_channel(layer)
    with running_worker(layer, threads=1):
        for order in (1, 2, 3):
            layer.send(
                "websocket.receive",
                {"reply_channel": reply, "path": path, "order": order, "notify": notify},
            )
            assert receive(layer, prefix)[1] == {"count": order}


def test_a_decorated_async_consumer_stays_async() -> None:
    from tests.sessions import consumers

    assert is_async_consumer(consumers.async_count_frames)
    assert not is_async_consumer(consumers.count_frames)
    assert is_async_consumer(consumers.async_record_order)


# -- http_session ------------------------------------------------------------------------------


def _http_session(**data: Any) -> DbSessionStore:
    session = DbSessionStore()
    session.update(data)
    session.save()
    return session


@http_session
def read_http(message: Message) -> Any:
    session = message.http_session
    return None if session is None else dict(session.items())


@pytest.mark.django_db
def test_http_session_comes_from_the_session_cookie(layer: Any) -> None:
    session = _http_session(cart=3)
    message = ws_message(
        layer,
        "websocket.connect",
        reply_channel(layer),
        headers=cookie_headers(session.session_key),
    )
    assert read_http(message) == {"cart": 3}


@pytest.mark.django_db
def test_http_session_comes_from_a_session_key_query_parameter(layer: Any) -> None:
    session = _http_session(cart=4)
    message = ws_message(
        layer,
        "websocket.connect",
        reply_channel(layer),
        query_string=f"a=1&session_key={session.session_key}".encode(),
        headers=[[b"cookie", b"sessionid=not-this-one"]],
    )
    assert read_http(message) == {"cart": 4}


@pytest.mark.django_db
def test_http_session_is_none_without_a_cookie_and_never_created(layer: Any) -> None:
    message = ws_message(layer, "websocket.connect", reply_channel(layer), headers=[])
    assert read_http(message) is None
    assert not Session.objects.exists()


@pytest.mark.django_db
def test_http_session_is_saved_when_modified_but_not_when_the_consumer_raised(
    layer: Any,
) -> None:
    session = _http_session(visits=0)

    @http_session
    def visit(message: Message) -> None:
        message.http_session["visits"] += 1
        if message.get("fail"):
            raise RuntimeError("boom")

    headers = cookie_headers(session.session_key)
    visit(ws_message(layer, "websocket.connect", reply_channel(layer), headers=headers))
    with pytest.raises(RuntimeError):
        visit(ws_message(layer, "websocket.connect", reply_channel(layer), headers=headers, fail=1))
    assert DbSessionStore(session.session_key)["visits"] == 1


@pytest.mark.django_db(transaction=True)
def test_channel_and_http_session_reaches_the_http_session_from_later_frames(
    layer: Any,
) -> None:
    session = _http_session(cart=5)
    seen: list[Any] = []

    @channel_and_http_session
    def consumer(message: Message) -> None:
        http = message.http_session
        seen.append(None if http is None else http.get("cart"))

    reply = reply_channel(layer)
    headers = cookie_headers(session.session_key)
    consumer(ws_message(layer, "websocket.connect", reply, order=0, headers=headers))
    consumer(ws_message(layer, "websocket.receive", reply, order=1, text="hi"))
    consumer(ws_message(layer, "websocket.disconnect", reply_channel(layer), order=1))
    assert seen == [5, 5, None]
