"""WebsocketDemultiplexer / AsyncWebsocketDemultiplexer and WebsocketMultiplexer."""

from __future__ import annotations

import json

import pytest

from channels.exceptions import SendNotAvailableOnDemultiplexer
from channels.generic import JsonWebsocketConsumer, WebsocketMultiplexer
from channels.message import Message
from tests.generic.conftest import Socket, next_message
from tests.generic.consumers import AsyncDemux, CountStream, Demux, EchoStream


def connected(layer, path: str = "/multi/") -> Socket:
    socket = Socket(layer, path)
    socket.connect()
    assert socket.reply() == {"accept": True}
    return socket


def test_connect_accepts_once_and_tells_every_stream(serve) -> None:
    with serve([Demux.as_route()]) as layer:
        socket = connected(layer)
        # EchoStream greets on connect through its stream; its accept is the demultiplexer's.
        assert socket.reply_json() == {"stream": "echo", "payload": {"hello": "echo"}}


def test_frames_reach_their_stream_and_answers_go_out_on_it(serve) -> None:
    with serve([Demux.as_route(path=r"^/multi/(?P<room>\w+)/$")]) as layer:
        socket = connected(layer, "/multi/kitchen/")
        socket.reply_json()  # the greeting
        socket.send_json({"stream": "echo", "payload": {"x": 1}})
        assert socket.reply_json() == {
            "stream": "echo",
            "payload": {"echo": {"x": 1}, "kwargs": ["room"]},
        }
        socket.send_json({"stream": "count", "payload": {"a": 1, "b": 2}})
        assert socket.reply_json() == {"stream": "count", "payload": {"count": 2}}


def test_stream_consumer_classes_are_not_patched() -> None:
    # 1.x replaced the stream consumer class's send; ours routes through the multiplexer.
    assert "send" not in vars(EchoStream)
    assert EchoStream.send is JsonWebsocketConsumer.send
    assert "send" not in vars(CountStream)


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        (json.dumps({"stream": "nope", "payload": {}}), r"unknown stream 'nope'"),
        ("{not json", "frame is not JSON"),
        (json.dumps([1, 2]), "must be a JSON object"),
        (json.dumps({"payload": {}}), "must be a JSON object"),
        (json.dumps({"stream": "echo", "payload": [1]}), "payload of stream 'echo'"),
    ],
)
def test_a_bad_frame_gets_an_error_frame_and_the_socket_stays_usable(
    serve, caplog, frame: str, error: str
) -> None:
    with serve([Demux.as_route()]) as layer:
        socket = connected(layer)
        socket.reply_json()  # the greeting
        socket.send(text=frame)
        answer = socket.reply_json()
        assert set(answer) <= {"stream", "error"}
        assert error in answer["error"]
        if "unknown stream" in error:
            assert answer["stream"] == "nope"
            assert "['count', 'echo']" in answer["error"]
        socket.send_json({"stream": "count", "payload": {"a": 1}})
        assert socket.reply_json() == {"stream": "count", "payload": {"count": 1}}
    assert error.replace("\\", "") in caplog.text.replace("\\", "")


def test_a_binary_frame_gets_an_error_frame(serve) -> None:
    with serve([Demux.as_route()]) as layer:
        socket = connected(layer)
        socket.reply_json()
        socket.send(bytes=b"\x00")
        assert "binary frame" in socket.reply_json()["error"]


def test_disconnect_reaches_every_stream(serve) -> None:
    with serve([Demux.as_route()]) as layer:
        socket = connected(layer)
        socket.reply_json()
        socket.disconnect()
        assert next_message(layer, "streams.echo") == {"left": True}
        assert next_message(layer, "streams.count") == {"left": True}


def test_the_demultiplexer_itself_cannot_send(serve) -> None:
    with serve([]) as layer:
        message = Message({"path": "/", "reply_channel": "r", "order": 0}, "websocket.x", layer)
        demux = Demux.__new__(Demux)
        demux.message, demux.kwargs = message, {}
        with pytest.raises(SendNotAvailableOnDemultiplexer, match="stream's consumer"):
            demux.send({"a": 1})
        with pytest.raises(SendNotAvailableOnDemultiplexer, match="WebsocketMultiplexer"):
            Demux.group_send("g", {"a": 1})


def test_multiplexer_group_send_reaches_a_stream_of_every_member(serve) -> None:
    with serve([Demux.as_route()]) as layer:
        sockets = [connected(layer) for _ in range(3)]
        for socket in sockets:
            socket.reply_json()
            layer.group_add("watchers", socket.reply_channel)
        WebsocketMultiplexer.group_send("watchers", "echo", {"news": 1})
        for socket in sockets:
            assert socket.reply_json() == {"stream": "echo", "payload": {"news": 1}}
        WebsocketMultiplexer.group_send("watchers", "echo", {"bye": 1}, close=True)
        reply = sockets[0].reply()
        assert reply["close"] is True
        assert json.loads(reply["text"])["payload"] == {"bye": 1}


@pytest.mark.django_db  # see test_async.py
def test_the_async_demultiplexer_serves_async_and_sync_streams(serve) -> None:
    with serve([AsyncDemux.as_route()]) as layer:
        socket = connected(layer)
        socket.send_json({"stream": "async", "payload": {"a": 1}})
        assert socket.reply_json() == {"stream": "async", "payload": {"async-stream": {"a": 1}}}
        socket.send_json({"stream": "sync", "payload": {"a": 1, "b": 2}})
        assert socket.reply_json() == {"stream": "sync", "payload": {"count": 2}}
        socket.send_json({"stream": "missing", "payload": {}})
        assert socket.reply_json()["stream"] == "missing"
        socket.disconnect()
        assert next_message(layer, "streams.sync") == {"left": True}
