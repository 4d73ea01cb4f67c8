"""Channel, Group, Message, and the pending-message store (consumer atomicity)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from channels import Channel, Group
from channels import pending as pending_module
from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer
from channels.message import Message, pending_message_store
from channels.signals import consumer_finished, consumer_started


@pytest.fixture
def layer() -> InMemoryChannelLayer:
    return InMemoryChannelLayer()


def test_channel_send_outside_a_consumer_goes_at_once(layer: InMemoryChannelLayer) -> None:
    Channel("a", channel_layer=layer).send({"n": 1})
    assert layer.receive(["a"]) == ("a", {"n": 1})


def test_channel_uses_the_layer_of_its_alias(wrapper: Any) -> None:
    channel = Channel(b"a")
    assert channel.name == "a"
    assert channel.channel_layer is wrapper
    channel.send({"n": 1})
    assert wrapper.receive(["a"]) == ("a", {"n": 1})
    assert str(channel) == "a"


def test_channel_send_takes_one_dict(layer: InMemoryChannelLayer) -> None:
    channel = Channel("a_task_channel", channel_layer=layer)
    with pytest.raises(TypeError, match=r"takes the message as one dict, got str"):
        channel.send("hello")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"send\(\{'value': 3\}\)"):
        channel.send(value=3)
    with pytest.raises(TypeError, match="one dict"):
        Group("g", channel_layer=layer).send(["x"])  # type: ignore[arg-type]


def test_sends_inside_a_consumer_wait_for_its_end(layer: InMemoryChannelLayer) -> None:
    consumer_started.send(sender=None)
    try:
        assert pending_message_store.active
        Channel("a", channel_layer=layer).send({"n": 1})
        Channel("a", channel_layer=layer).send({"n": 2}, immediately=True)
        assert layer.receive(["a"]) == ("a", {"n": 2})
        assert layer.receive(["a"]) == (None, None)
    finally:
        consumer_finished.send(sender=None)
    assert not pending_message_store.active
    assert layer.receive(["a"]) == ("a", {"n": 1})


def test_held_content_is_copied_when_sent(layer: InMemoryChannelLayer) -> None:
    content = {"n": 1}
    consumer_started.send(sender=None)
    Channel("a", channel_layer=layer).send(content)
    content["n"] = 2
    consumer_finished.send(sender=None)
    assert layer.receive(["a"]) == ("a", {"n": 1})


def test_group_add_and_discard_are_never_held(layer: InMemoryChannelLayer) -> None:
    group = Group("chat", channel_layer=layer)
    consumer_started.send(sender=None)
    try:
        group.add(Channel("reply!one", channel_layer=layer))
        group.add("reply!two")
        assert sorted(layer.group_channels("chat")) == ["reply!one", "reply!two"]
        group.send({"text": "hi"})
        assert layer.receive(["reply!"]) == (None, None)
        group.discard("reply!two")
        assert layer.group_channels("chat") == ["reply!one"]
    finally:
        consumer_finished.send(sender=None)
    assert layer.receive(["reply!"]) == ("reply!one", {"text": "hi"})


def test_a_consumer_in_another_thread_does_not_hold_this_threads_sends(
    layer: InMemoryChannelLayer,
) -> None:
    inside = threading.Event()
    leave = threading.Event()

    def consumer() -> None:
        consumer_started.send(sender=None)
        inside.set()
        leave.wait(10)
        consumer_finished.send(sender=None)

    thread = threading.Thread(target=consumer)
    thread.start()
    try:
        assert inside.wait(10)
        assert not pending_message_store.active
        Channel("a", channel_layer=layer).send({"from": "main"})
        assert layer.receive(["a"]) == ("a", {"from": "main"})
    finally:
        leave.set()
        thread.join(10)


async def test_async_twins_hold_per_task(layer: InMemoryChannelLayer) -> None:
    async def consumer(n: int, go: asyncio.Event) -> None:
        pending_message_store.prepare()
        await Channel("a", channel_layer=layer).asend({"n": n})
        await go.wait()
        sent = [content for _, content in pending_message_store]
        pending_message_store.send_and_flush()
        assert sent == [{"n": n}]

    go = asyncio.Event()
    tasks = [asyncio.create_task(consumer(n, go)) for n in range(3)]
    await asyncio.sleep(0)
    assert layer.receive(["a"]) == (None, None)
    go.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 5)
    received = sorted(layer.receive(["a"])[1]["n"] for _ in range(3))
    assert received == [0, 1, 2]


async def test_group_async_twins(layer: InMemoryChannelLayer) -> None:
    group = Group("room", channel_layer=layer)
    await group.aadd("reply!x")
    await group.asend({"text": "hello"})
    assert await layer.areceive(["reply!"]) == ("reply!x", {"text": "hello"})
    await group.adiscard("reply!x")
    assert layer.group_channels("room") == []


def test_a_flush_retries_a_full_channel_then_fails_loudly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pending_module, "FLUSH_RETRY_FOR", 0.3)
    layer = InMemoryChannelLayer(capacity=1)
    layer.send("full", {"n": 0})
    consumer_started.send(sender=None)
    Channel("full", channel_layer=layer).send({"n": 1})
    Channel("other", channel_layer=layer).send({"n": 2})
    with pytest.raises(RuntimeError, match=r"messages to full were dropped.*immediately=True"):
        consumer_finished.send(sender=None)
    assert layer.receive(["other"]) == ("other", {"n": 2})  # the rest still went out
    assert not pending_message_store.active


def test_a_flush_gets_through_once_the_channel_drains(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    layer = InMemoryChannelLayer(capacity=1)
    layer.send("full", {"n": 0})
    consumer_started.send(sender=None)
    Channel("full", channel_layer=layer).send({"n": 1})
    attempts = 0
    real_send = layer.send

    def send_then_drain(channel: str, content: dict) -> None:
        nonlocal attempts
        attempts += 1
        try:
            real_send(channel, content)
        except ChannelFull:
            layer.receive(["full"])  # a reader elsewhere takes one message
            raise

    layer.send = send_then_drain  # type: ignore[method-assign]
    consumer_finished.send(sender=None)
    assert attempts == 2
    assert layer.receive(["full"]) == ("full", {"n": 1})


def test_held_sends_to_several_channels_go_out_together_in_order(
    layer: InMemoryChannelLayer,
) -> None:
    consumer_started.send(sender=None)
    for n in range(3):
        Channel("first", channel_layer=layer).send({"n": n})
        Channel("second", channel_layer=layer).send({"n": n})
    Group("room", channel_layer=layer).add("second")
    Group("room", channel_layer=layer).send({"n": "group"})
    Channel("second", channel_layer=layer).send({"n": "after"})
    consumer_finished.send(sender=None)
    assert [m["n"] for _, m in iter(lambda: layer.receive(["first"]), (None, None))] == [0, 1, 2]
    assert [m["n"] for _, m in iter(lambda: layer.receive(["second"]), (None, None))] == [
        0,
        1,
        2,
        "group",
        "after",
    ]
    assert layer.global_statistics()["messages_sent"] == 7


def test_a_flush_keeps_a_full_channel_in_order_while_a_reader_drains_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pending_module, "FLUSH_RETRY_FOR", 0.5)
    layer = InMemoryChannelLayer(capacity=2)
    layer.send("busy", {"n": 0})
    consumer_started.send(sender=None)
    for n in range(1, 6):
        Channel("busy", channel_layer=layer).send({"n": n})
        Channel("idle", channel_layer=layer).send({"n": n})
    received: list[int] = []

    def reader() -> None:
        while len(received) < 6:
            channel, message = layer.receive(["busy"], block=True, timeout=5)
            if channel is None:
                return
            received.append(message["n"])

    thread = threading.Thread(target=reader)
    thread.start()
    # The busy channel's refused tail is retried in order as the reader drains it; "idle"
    # has no reader, so its last three are dropped, loudly.
    with pytest.raises(RuntimeError, match="messages to idle, idle, idle were dropped"):
        consumer_finished.send(sender=None)
    thread.join(10)
    assert not thread.is_alive()
    assert received == [0, 1, 2, 3, 4, 5]
    idle = [m["n"] for _, m in iter(lambda: layer.receive(["idle"]), (None, None))]
    assert idle == [1, 2]


def test_message_reads_like_a_dict(layer: InMemoryChannelLayer) -> None:
    message = Message({"reply_channel": "out!x", "path": "/"}, "websocket.connect", layer)
    assert message["path"] == "/"
    assert "path" in message
    assert message.get("text") is None
    assert message.get("text", "") == ""
    message["text"] = "hi"
    assert sorted(message.keys()) == ["path", "reply_channel", "text"]
    assert ("text", "hi") in message.items()
    assert "/" in message.values()
    assert message.channel.name == "websocket.connect"
    assert message.reply_channel is not None and message.reply_channel.name == "out!x"
    assert message.channel_layer is layer
    assert Message({}, "x", layer).reply_channel is None


def test_a_message_built_without_channel_or_layer_uses_the_default_layer(wrapper: Any) -> None:
    # How 1.x consumer tests build messages: Message(content, None, None).
    message = Message({"text": "hi"}, None, None)
    assert message.channel.name is None
    assert message.channel_layer is wrapper
    assert message.channel.channel_layer is wrapper
    assert message.reply_channel is None
    assert message["text"] == "hi"
    assert message.copy().channel.name is None
    replying = Message({"reply_channel": "out!x"}, None, None)
    assert replying.reply_channel is not None
    replying.reply_channel.send({"text": "back"}, immediately=True)
    assert wrapper.receive(["out!"]) == ("out!x", {"text": "back"})


def test_message_copy_is_deep(layer: InMemoryChannelLayer) -> None:
    message = Message({"headers": [[b"a", b"b"]]}, "http.request", layer)
    copied = message.copy()
    copied["headers"][0][1] = b"changed"
    assert message["headers"] == [[b"a", b"b"]]
    assert copied.channel.name == "http.request"
    assert copied.channel_layer is layer


def test_reply_channel_send_from_a_consumer(layer: InMemoryChannelLayer) -> None:
    message = Message({"reply_channel": "out!x"}, "websocket.connect", layer)
    consumer_started.send(sender=None)
    message.reply_channel.send({"accept": True})
    consumer_finished.send(sender=None)
    assert layer.receive(["out!"]) == ("out!x", {"accept": True})


def test_channel_consumer_decorator_adds_a_route(wrapper: Any) -> None:
    assert "decorated.channel" not in wrapper.router.channels  # built before the decorator

    @Channel.consumer("decorated.channel", path=r"^/d/(?P<x>\w+)")
    def decorated(message: Any, **kwargs: Any) -> None:
        """A decorated consumer."""

    from channels.routing import decorated_routes

    try:
        assert "decorated.channel" in wrapper.router.channels
        found = wrapper.router.match(Message({"path": "/d/y"}, "decorated.channel", wrapper))
        assert found == (decorated, {"x": "y"})
    finally:
        decorated_routes["default"] = [
            r for r in decorated_routes["default"] if r.consumer is not decorated
        ]
    with pytest.raises(TypeError, match="at least one channel"):
        Channel.consumer()
