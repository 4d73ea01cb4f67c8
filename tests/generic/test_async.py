"""The async WebSocket consumers run on the worker's event loop, concurrently."""

from __future__ import annotations

import secrets

import pytest

from channels.routing import is_async_consumer
from tests.generic.conftest import Socket
from tests.generic.consumers import AsyncEcho, AsyncJson, AsyncRoom, Echo

# The worker sends consumer_started/finished for async consumers through sync_to_async, in
# asgiref's shared thread; once an earlier test used the (in-memory, never really closed)
# test database there, close_old_connections touches it: database access must be allowed.
pytestmark = pytest.mark.django_db


def test_async_consumer_classes_are_run_on_the_loop_and_sync_ones_in_threads() -> None:
    assert is_async_consumer(AsyncEcho)
    assert is_async_consumer(AsyncJson)
    assert not is_async_consumer(Echo)


def test_an_async_consumer_accepts_echoes_and_closes(serve) -> None:
    with serve([AsyncEcho.as_route(path=r"^/async/")]) as layer:
        socket = Socket(layer, "/async/x/")
        socket.connect()
        assert socket.reply() == {"accept": True}
        socket.send(text="hi")
        assert socket.reply() == {"text": "async:hi:/async/x/"}
        socket.send(bytes=b"ab")
        assert socket.reply() == {"bytes": b"ba"}
        socket.send(text="close")
        assert socket.reply() == {"close": 4002}


def test_a_waiting_async_consumer_does_not_hold_up_other_sockets(serve) -> None:
    # One sync thread: only the event loop can let the second socket through while the
    # first consumer is still waiting.
    name = secrets.token_hex(4)
    with serve([AsyncEcho.as_route()], threads=1) as layer:
        waiting, opener = Socket(layer), Socket(layer)
        for socket in (waiting, opener):
            socket.connect()
            assert socket.reply() == {"accept": True}
        waiting.send(text=f"wait:{name}")
        opener.send(text=f"open:{name}")
        assert opener.reply() == {"text": f"opened:{name}"}
        assert waiting.reply() == {"text": f"released:{name}"}


def test_async_groups_and_group_send(serve) -> None:
    with serve([AsyncRoom.as_route()]) as layer:
        sockets = [Socket(layer) for _ in range(3)]
        for socket in sockets:
            socket.connect()
            assert socket.reply() == {"accept": True}
        sockets[0].send(text="all")
        for socket in sockets:
            assert socket.reply() == {"text": "all"}
        sockets[1].disconnect()
        # Sent by disconnect() after the group was left, so only the others get it.
        assert sockets[0].reply() == {"text": "left"}
        assert sockets[2].reply() == {"text": "left"}
        assert sockets[1].reply_channel not in layer.group_channels("async-room")


def test_async_json_consumer_uses_its_encode_hook_for_send_and_group_send(serve) -> None:
    with serve([AsyncJson.as_route()]) as layer:
        socket = Socket(layer)
        socket.connect()
        assert socket.reply() == {"accept": True}
        socket.send_json({"a": [1, 2]})
        assert socket.reply_json() == {"async": True, "got": {"a": [1, 2]}}
        layer.group_add("json-room", socket.reply_channel)
        socket.send_json({"group": "json-room"})
        assert socket.reply_json() == {"async": True, "to": "json-room"}
