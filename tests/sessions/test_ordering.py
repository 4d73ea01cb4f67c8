"""enforce_ordering: messages of one socket run in ``order`` sequence; a real Worker with
several threads takes them in any order from the in-memory layer."""

from __future__ import annotations

import logging
import random
from typing import Any

import pytest

from channels.message import Message
from channels.sessions import (
    NEXT_ORDER_KEY,
    enforce_ordering,
    session_for_reply_channel,
    wait_channel_name,
)
from tests.session_fixtures import reply_channel, ws_message
from tests.workers import receive_many, running_worker


def notify_channel(layer: Any) -> tuple[str, str]:
    """A report channel with a prefix of its own: ``(channel, prefix)``."""
    channel = reply_channel(layer).replace("daphne.response.", "test.notify.")
    return channel, channel[: channel.index("!") + 1]


def _frames(reply: str, path: str, notify: str, orders: list[int], **extra: Any) -> list[dict]:
    return [
        {
            "reply_channel": reply,
            "path": path,
            "order": order,
            "notify": notify,
            "text": "x",
            **extra,
        }
        for order in orders
    ]


# The worker sends consumer_started through sync_to_async for async consumers; its
# close_old_connections touches a connection an earlier test may have left in that thread.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/unit/order/", "/unit/async-order/"])
def test_frames_taken_in_any_order_by_a_threaded_worker_run_in_order(
    layer: Any, cache_sessions: None, path: str
) -> None:
    # One notify channel per socket, so each socket's sequence is checked on its own.
    sockets = [(reply_channel(layer), *notify_channel(layer)) for _ in range(3)]
    frames = []
    for reply, notify, _prefix in sockets:
        frames += _frames(reply, path, notify, list(range(40)))
    random.Random(7).shuffle(frames)
    with running_worker(layer, threads=4):
        for frame in frames:
            layer.send("websocket.receive", frame)
        for _reply, _notify, prefix in sockets:
            orders = [r["order"] for r in receive_many(layer, prefix, 40, timeout=30)]
            assert orders == list(range(40))
    for reply, _notify, _prefix in sockets:
        assert session_for_reply_channel(reply)[NEXT_ORDER_KEY] == 40
        assert layer.receive([wait_channel_name(reply, 40)], block=False) == (None, None)


def test_a_consumer_asking_for_a_retry_keeps_its_turn(layer: Any, cache_sessions: None) -> None:
    reply = reply_channel(layer)
    notify, prefix = notify_channel(layer)
    with running_worker(layer, threads=2):
        layer.send("websocket.receive", _frames(reply, "/unit/order/", notify, [0])[0])
        layer.send(
            "websocket.receive", _frames(reply, "/unit/order/", notify, [1], retry_once=True)[0]
        )
        for frame in _frames(reply, "/unit/order/", notify, [2, 3]):
            layer.send("websocket.receive", frame)
        assert [r["order"] for r in receive_many(layer, prefix, 4)] == [0, 1, 2, 3]


def test_the_replies_of_one_message_go_out_before_the_next_message_runs(
    layer: Any, cache_sessions: None
) -> None:
    events: list[str] = []

    @enforce_ordering
    def consumer(message: Message) -> None:
        events.append(f"run {message['order']}")
        # Sends are held until the consumer is done; the flush happens before the next turn.
        message.reply_channel.send({"text": str(message["order"])})

    from channels.message import pending_message_store

    reply = reply_channel(layer)
    prefix = reply[: reply.index("!") + 1]
    pending_message_store.prepare()
    try:
        consumer(ws_message(layer, "websocket.receive", reply, order=1, text="b"))
        # Order 1 came early: it waits, and nothing ran.
        assert events == []
        consumer(ws_message(layer, "websocket.connect", reply, order=0))
        # Order 0 ran, its reply went to the layer, then order 1 was put back.
        assert layer.receive([prefix], block=False)[1] == {"text": "0"}
        channel, content = layer.receive(["websocket.receive"], block=False)
        assert channel == "websocket.receive" and content["order"] == 1
        assert "original_channel" not in content
        consumer(Message(content, channel, layer))
        assert events == ["run 0", "run 1"]
    finally:
        pending_message_store.send_and_flush()
    assert layer.receive([prefix], block=False)[1] == {"text": "1"}


def test_a_message_whose_turn_already_passed_is_dropped_with_a_warning(
    layer: Any, cache_sessions: None, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[int] = []

    @enforce_ordering
    def consumer(message: Message) -> None:
        ran.append(message["order"])

    reply = reply_channel(layer)
    consumer(ws_message(layer, "websocket.connect", reply, order=0))
    with caplog.at_level(logging.WARNING, logger="channels.sessions"):
        consumer(ws_message(layer, "websocket.connect", reply, order=0))
    assert ran == [0]
    assert "already ran" in caplog.text


def test_a_message_without_order_is_a_clear_error(layer: Any, cache_sessions: None) -> None:
    @enforce_ordering()
    def consumer(message: Message) -> None:
        pass

    with pytest.raises(ValueError, match="needs messages with an 'order' key"):
        consumer(ws_message(layer, "websocket.receive", reply_channel(layer)))
    with pytest.raises(ValueError, match="must be an integer"):
        consumer(ws_message(layer, "websocket.receive", reply_channel(layer), order="first"))


def test_slight_ordering_is_refused() -> None:
    with pytest.raises(ValueError, match="slight ordering was removed"):
        enforce_ordering(slight=True)


def test_wait_channels_are_valid_names_per_socket_and_position(layer: Any) -> None:
    reply = reply_channel(layer)
    name = wait_channel_name(reply, 7)
    assert "!" not in name and name.endswith(".7")
    assert name != wait_channel_name(reply, 8) != wait_channel_name(reply_channel(layer), 7)
    layer.send(name, {"ok": True})  # the layer accepts the name
    assert layer.receive([name], block=False)[1] == {"ok": True}
