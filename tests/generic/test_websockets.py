"""WebsocketConsumer and JsonWebsocketConsumer under a real Worker."""

from __future__ import annotations

import pytest

from channels.generic.websockets import close_frame, reply_frame
from tests.generic.conftest import Socket, next_message
from tests.generic.consumers import Echo, JsonLobby, Lobby, Refuser, Room, Shouting


def test_a_websocket_consumer_accepts_echoes_text_and_bytes_and_closes(serve) -> None:
    with serve([Echo.as_route(path=r"^/echo/(?P<who>\w+)/$")]) as layer:
        socket = Socket(layer, "/echo/ann/")
        socket.connect()
        assert socket.reply() == {"accept": True}
        socket.send(text="hi")
        assert socket.reply() == {"text": "hi|/echo/ann/|[('who', 'ann')]"}
        socket.send(bytes=b"\x00abc")
        assert socket.reply() == {"bytes": b"cba\x00"}
        socket.send(text="bye")
        assert socket.reply() == {"text": "bye!", "close": True}
        socket.send(text="close")
        assert socket.reply() == {"close": 4001}


def test_closing_in_connect_refuses_the_socket(serve) -> None:
    with serve([Refuser.as_route()]) as layer:
        socket = Socket(layer)
        socket.connect()
        assert socket.reply() == {"close": True}


def test_connection_groups_are_joined_on_connect_and_left_on_disconnect(serve) -> None:
    with serve([Room.as_route(path=r"^/room/(?P<room>\w+)/$")]) as layer:
        ann, bob, cat = (
            Socket(layer, "/room/a/"),
            Socket(layer, "/room/a/"),
            Socket(layer, "/room/b/"),
        )
        for socket in (ann, bob, cat):
            socket.connect()
            assert socket.reply() == {"accept": True}
        assert sorted(layer.group_channels("room-a")) == sorted(
            [ann.reply_channel, bob.reply_channel]
        )
        ann.send(text="hello a")
        assert ann.reply() == {"text": "hello a"}
        assert bob.reply() == {"text": "hello a"}
        cat.send(text="hello b")
        assert cat.reply() == {"text": "hello b"}
        bob.disconnect()
        assert ann.reply() == {"text": "someone left"}
        assert layer.group_channels("room-a") == [ann.reply_channel]


def test_the_groups_attribute_names_the_connection_groups(serve) -> None:
    with serve([Lobby.as_route()]) as layer:
        socket = Socket(layer)
        socket.connect()
        assert socket.reply() == {"accept": True}
        assert layer.group_channels("lobby") == [socket.reply_channel]
        Lobby.group_send("lobby", text="to all")
        assert socket.reply() == {"text": "to all"}
        Lobby.group_send("lobby", bytes=b"\x01", close=True)
        assert socket.reply() == {"bytes": b"\x01", "close": True}
        socket.disconnect()
        # Sent by Lobby.disconnect after the groups were left.
        assert next_message(layer, "lobby.left") == {"who": socket.reply_channel}
        assert layer.group_channels("lobby") == []


def test_send_needs_exactly_one_of_text_and_bytes() -> None:
    with pytest.raises(ValueError, match="needs text= or bytes="):
        reply_frame()
    with pytest.raises(ValueError, match="not both"):
        reply_frame("a", b"b")
    assert reply_frame(bytes=b"x", close=4000) == {"bytes": b"x", "close": 4000}


def test_close_accepts_true_1000_and_application_codes_only() -> None:
    assert close_frame() == {"close": True}
    assert close_frame(1000) == {"close": 1000}
    assert close_frame(status=4321) == {"close": 4321}
    for bad in (1011, 2999, 5000, "4000", False):
        with pytest.raises(ValueError, match="invalid WebSocket close code"):
            close_frame(bad)


def test_json_consumer_uses_the_encode_and_decode_hooks(serve) -> None:
    with serve([JsonLobby.as_route(path=r"^/lobby/"), Shouting.as_route()]) as layer:
        socket = Socket(layer, "/shout/")
        socket.connect()
        assert socket.reply() == {"accept": True}
        socket.send_json({"a": 1})
        assert socket.reply_json() == {"shouted": True, "got": {"A": 1}}
        member = Socket(layer, "/lobby/")
        member.connect()
        assert member.reply() == {"accept": True}
        socket.send_json({"group": "json-lobby"})
        # group_send encodes with the class's own hook.
        assert member.reply_json() == {"shouted": True, "to": "json-lobby"}


def test_a_binary_frame_to_a_json_consumer_closes_the_socket_with_1011(serve, caplog) -> None:
    with serve([Shouting.as_route()]) as layer:
        socket = Socket(layer, "/shout/")
        socket.connect()
        assert socket.reply() == {"accept": True}
        socket.send(bytes=b"\x00")
        assert socket.reply() == {"close": 1011}
    assert "takes JSON text frames" in caplog.text
