"""``channels.layers.get_channel_layer()`` and the Channels 4 async layer API, on the
in-memory layer and on Redis, plus the ``channels_redis`` settings."""

from __future__ import annotations

import asyncio

import pytest
from django.test import override_settings

from channels import Channel
from channels.asgi import channel_layers as layers_1x
from channels.exceptions import ChannelFull, InvalidChannelLayerError
from channels.layers import (
    AsyncChannelLayer,
    BaseChannelLayer,
    InMemoryChannelLayer,
    channel_layers,
    get_channel_layer,
    lookup,
)
from channels.layers.capacity import DEFAULT_CHANNEL_CAPACITY
from channels.layers.channels_redis_options import translate_channels_redis_options


async def test_send_and_receive_on_a_new_channel(channel_layer_settings: dict) -> None:
    layer = get_channel_layer()
    name = await layer.new_channel()
    assert name.startswith("specific.") and "!" in name
    await layer.send(name, {"type": "test.message", "text": "hi", "raw": b"\x00"})
    assert await layer.receive(name) == {"type": "test.message", "text": "hi", "raw": b"\x00"}


async def test_each_channel_gets_only_its_own_messages(channel_layer_settings: dict) -> None:
    layer = get_channel_layer()
    names = [await layer.new_channel() for _ in range(5)]
    receives = [asyncio.ensure_future(layer.receive(name)) for name in names]
    for index, name in enumerate(reversed(names)):
        await layer.send(name, {"type": "n", "n": len(names) - 1 - index})
    results = await asyncio.wait_for(asyncio.gather(*receives), 10)
    assert [message["n"] for message in results] == list(range(5))


async def test_a_cancelled_receive_loses_no_message(channel_layer_settings: dict) -> None:
    layer = get_channel_layer()
    first, second = await layer.new_channel(), await layer.new_channel()
    waiting = asyncio.ensure_future(layer.receive(first))
    await asyncio.sleep(0)  # let it start pulling
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    await layer.send(first, {"type": "a"})
    await layer.send(second, {"type": "b"})
    assert await asyncio.wait_for(layer.receive(second), 10) == {"type": "b"}
    assert await asyncio.wait_for(layer.receive(first), 10) == {"type": "a"}


async def test_normal_channels_are_received_by_name(channel_layer_settings: dict) -> None:
    layer = get_channel_layer()
    await layer.send("thumbnails-generate", {"type": "generate", "id": 3})
    assert await asyncio.wait_for(layer.receive("thumbnails-generate"), 10) == {
        "type": "generate",
        "id": 3,
    }


async def test_group_send_reaches_every_member_once(channel_layer_settings: dict) -> None:
    layer = get_channel_layer()
    members = [await layer.new_channel() for _ in range(3)]
    for name in members:
        await layer.group_add("room", name)
        await layer.group_add("room", name)  # twice: still one membership
    await layer.group_discard("room", members[2])
    await layer.group_send("room", {"type": "chat.message", "text": "all"})
    for name in members[:2]:
        assert await asyncio.wait_for(layer.receive(name), 10) == {
            "type": "chat.message",
            "text": "all",
        }
    await layer.send(members[2], {"type": "direct"})
    assert await asyncio.wait_for(layer.receive(members[2]), 10) == {"type": "direct"}


async def test_flush_drops_messages_and_groups(channel_layer_settings: dict) -> None:
    layer = get_channel_layer()
    name = await layer.new_channel()
    await layer.group_add("room", name)
    await layer.send(name, {"type": "old"})
    await layer.flush()
    await layer.group_send("room", {"type": "after.flush"})
    await layer.send(name, {"type": "new"})
    assert await asyncio.wait_for(layer.receive(name), 10) == {"type": "new"}


async def test_send_past_capacity_raises_channel_full() -> None:
    config = {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 2}}
    with override_settings(CHANNEL_LAYERS={"default": config}):
        layer = get_channel_layer()
        assert layer.capacity == 2
        await layer.send("work", {"type": "a"})
        await layer.send("work", {"type": "b"})
        with pytest.raises(ChannelFull):
            await layer.send("work", {"type": "c"})


def test_channels_4_in_memory_options_are_accepted() -> None:
    layer = InMemoryChannelLayer(
        expiry=30, group_expiry=600, capacity=5, channel_capacity={"http.request": 50}
    )
    adapter = AsyncChannelLayer(layer)
    assert (adapter.expiry, adapter.group_expiry, adapter.capacity) == (30, 600, 5)
    # The given override first, then the built-in default that it did not replace.
    assert list(adapter.channel_capacity.values()) == [50, DEFAULT_CHANNEL_CAPACITY["websocket.*"]]
    assert adapter.extensions == ["groups", "flush"]
    assert isinstance(layer, BaseChannelLayer)


def test_get_channel_layer_returns_one_adapter_per_layer(channel_layer_settings: dict) -> None:
    first = get_channel_layer()
    assert get_channel_layer("default") is first
    assert channel_layers["default"] is first
    assert first.layer is layers_1x["default"].channel_layer


def test_get_channel_layer_is_none_for_an_unknown_alias() -> None:
    assert get_channel_layer("nope") is None
    assert "nope" not in channel_layers
    with pytest.raises(KeyError, match="nope"):
        channel_layers["nope"]


def test_without_a_provider_the_error_says_what_to_do() -> None:
    previous = lookup.install(None)
    try:
        with pytest.raises(RuntimeError, match="INSTALLED_APPS"):
            get_channel_layer()
    finally:
        lookup.install(previous)


async def test_both_apis_share_one_layer(channel_layer_settings: dict) -> None:
    layer = get_channel_layer()
    name = await layer.new_channel()
    await asyncio.to_thread(Channel(name).send, {"type": "from.1x", "n": 1}, immediately=True)
    assert await asyncio.wait_for(layer.receive(name), 10) == {"type": "from.1x", "n": 1}
    await layer.send("shared-work", {"type": "from.4"})
    _, message = await layers_1x["default"].areceive(["shared-work"], block=True, timeout=5)
    assert message == {"type": "from.4"}


@pytest.mark.redis
async def test_a_second_process_prefix_reaches_this_ones_consumers(
    redis_url: str, redis_prefix: str
) -> None:
    from channels.layers.channels_redis_options import ChannelsRedisLayer

    config = {"hosts": [redis_url], "prefix": redis_prefix}
    here, there = ChannelsRedisLayer(**config), ChannelsRedisLayer(**config)
    try:
        mine, theirs = AsyncChannelLayer(here), AsyncChannelLayer(there)
        name = await mine.new_channel()
        await mine.group_add("everyone", name)
        await theirs.group_send("everyone", {"type": "hello", "from": "there"})
        assert await asyncio.wait_for(mine.receive(name), 10) == {
            "type": "hello",
            "from": "there",
        }
    finally:
        await here.aclose()
        await there.aclose()


def test_channels_redis_hosts_in_every_documented_form() -> None:
    assert translate_channels_redis_options(
        {"hosts": [("127.0.0.1", 6379)], "prefix": "site", "expiry": 10}
    ) == {"hosts": [("127.0.0.1", 6379)], "prefix": "site:", "expiry": 10}
    assert translate_channels_redis_options(
        {"hosts": [{"address": "redis://h:1/0", "password": "pw"}]}
    ) == {"hosts": ["redis://h:1/0"], "connection_kwargs": {"password": "pw"}}
    assert translate_channels_redis_options({"hosts": [{"address": ("h", 2)}]}) == {
        "hosts": [("h", 2)]
    }
    assert translate_channels_redis_options({"hosts": [{"host": "h", "port": 3}]}) == {
        "hosts": [{"host": "h", "port": 3}]
    }
    assert translate_channels_redis_options(
        {"hosts": [{"sentinels": [["s", 26379]], "master_name": "main"}]}
    ) == {"sentinels": [("s", 26379)], "services": ["main"]}
    options = {
        "capacity": 5,
        "channel_capacity": {"http.request": 200},
        "group_expiry": 60,
        "symmetric_encryption_keys": ["secret"],
    }
    assert translate_channels_redis_options(options) == options


def test_unknown_channels_redis_options_are_named() -> None:
    with pytest.raises(TypeError, match="bogus"):
        translate_channels_redis_options({"bogus": 1}, pubsub=True)
    with pytest.raises(TypeError, match="capacity"):
        translate_channels_redis_options({"capacity": 5}, pubsub=True)
    with pytest.raises(ValueError, match="json"):
        translate_channels_redis_options({"serializer_format": "json"})


def test_a_bad_channels_redis_config_is_a_settings_error() -> None:
    config = {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [("h", 1)], "bogus": 1},
    }
    with (
        override_settings(CHANNEL_LAYERS={"default": config}),
        pytest.raises(InvalidChannelLayerError, match="bogus"),
    ):
        get_channel_layer()


@pytest.mark.redis
async def test_pubsub_backend_path_is_served_by_the_redis_layer(
    redis_url: str, redis_prefix: str
) -> None:
    config = {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [redis_url], "prefix": redis_prefix},
    }
    with override_settings(CHANNEL_LAYERS={"default": config}):
        layer = get_channel_layer()
        try:
            name = await layer.new_channel()
            await layer.send(name, {"type": "ping"})
            assert await asyncio.wait_for(layer.receive(name), 10) == {"type": "ping"}
        finally:
            await layer.layer.aclose()


@pytest.mark.redis
def test_async_to_sync_calls_from_threads_do_not_pile_up_redis_connections() -> None:
    """``async_to_sync(layer.group_send)`` in a view makes an event loop per call; the
    layer must not leave a connection behind for each of them."""
    import threading

    import redis
    from asgiref.sync import async_to_sync

    from tests.layers.redis_servers import RedisServer, redis_server_binary

    if redis_server_binary() is None:
        pytest.skip("needs redis-server to count its connections on a server of its own")
    server = RedisServer()
    server.start()
    client = redis.Redis.from_url(server.url)
    try:
        config = {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [server.url]},
        }
        with override_settings(CHANNEL_LAYERS={"default": config}):
            layer = get_channel_layer()
            errors: list[BaseException] = []

            def view_like_code() -> None:
                try:
                    for number in range(30):
                        async_to_sync(layer.group_send)("room", {"type": "n", "n": number})
                        async_to_sync(layer.send)("work", {"type": "n", "n": number})
                    assert async_to_sync(layer.receive)("work") == {"type": "n", "n": 0}
                except BaseException as exc:
                    errors.append(exc)

            thread = threading.Thread(target=view_like_code)
            thread.start()
            thread.join(60)
            assert not errors, errors
            # This client, plus the layer's sync pool and its receive loop's connections.
            assert client.info("clients")["connected_clients"] <= 6
            layer.layer.close()
    finally:
        client.close()
        server.cleanup()


async def test_many_receivers_with_cancellations_all_get_their_messages(
    channel_layer_settings: dict,
) -> None:
    """One queue serves every consumer of the process: messages reach their own receive
    in any order, and cancelled receives (disconnects) never stall the others."""
    import random

    layer = get_channel_layer()
    names = [await layer.new_channel() for _ in range(100)]
    receives = {name: asyncio.ensure_future(layer.receive(name)) for name in names}
    await asyncio.sleep(0)  # every receive is waiting, one of them pulling
    gone = names[::3]
    for name in gone:
        receives.pop(name).cancel()
    order = names[:]
    random.shuffle(order)
    for index, name in enumerate(order):
        await layer.send(name, {"type": "n", "to": name, "i": index})
    results = await asyncio.wait_for(asyncio.gather(*receives.values()), 20)
    assert [message["to"] for message in results] == list(receives)
    # A cancelled receive's message waits for that channel's next receive.
    assert (await asyncio.wait_for(layer.receive(gone[0]), 10))["to"] == gone[0]


async def test_a_receive_left_on_a_closed_event_loop_does_not_block_the_others() -> None:
    """A test that ends without disconnecting leaves its consumer's receive on an event
    loop that is then closed; the next loop's receives must not wait for it."""
    import threading

    layer = AsyncChannelLayer(InMemoryChannelLayer())
    stale = await layer.new_channel()

    left: list[asyncio.Task] = []  # referenced, so it stays pending rather than collected

    def abandoned_loop() -> None:
        loop = asyncio.new_event_loop()
        left.append(loop.create_task(layer.receive(stale)))
        loop.run_until_complete(asyncio.sleep(0.05))  # the receive is now pulling
        loop.close()  # closed with the task pending, never cancelled

    thread = threading.Thread(target=abandoned_loop)
    thread.start()
    await asyncio.to_thread(thread.join, 10)
    fresh = await layer.new_channel()
    await layer.send(fresh, {"type": "still.works"})
    assert await asyncio.wait_for(layer.receive(fresh), 5) == {"type": "still.works"}
