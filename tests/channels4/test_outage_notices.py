"""``channels_redis``'s pub/sub ``on_disconnect`` / ``on_reconnect``: every consumer of the
process hears when the layer loses its Redis server and when it has it back, against a
``redis-server`` of the test's own that is stopped and started again."""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from channels.layers import get_channel_layer
from channels.layers.channels_redis_options import translate_channels_redis_options
from channels.testing import WebsocketCommunicator
from tests.channels4.test_docs import BLOCK, PAGE
from tests.conftest import running_under_ci
from tests.layers.redis_servers import RedisServer, redis_server_binary

#: How long a notice may take: the first failed pop, plus the puller's slice.
NOTICE_DEADLINE = 15.0


def test_the_notices_are_pubsub_options_naming_message_types() -> None:
    options = {"on_disconnect": "redis.disconnect", "on_reconnect": "redis.reconnect"}
    assert translate_channels_redis_options(options, pubsub=True) == {}
    with pytest.raises(TypeError, match="message type"):
        translate_channels_redis_options({"on_disconnect": print}, pubsub=True)
    with pytest.raises(TypeError, match="RedisPubSubChannelLayer"):
        translate_channels_redis_options({"on_reconnect": "redis.reconnect"})


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A ``redis-server`` this test may stop and restart."""
    if redis_server_binary() is None:
        reason = "needs redis-server (apt-get install redis-server) to stop and restart"
        if running_under_ci():
            pytest.fail(f"redis-server is required under CI: {reason}", pytrace=False)
        pytest.skip(reason)
    with RedisServer() as server:
        yield server


@pytest.fixture
def pubsub_settings(own_redis: RedisServer) -> Iterator[dict[str, Any]]:
    layers = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [own_redis.url],
                "on_disconnect": "redis.disconnect",
                "on_reconnect": "redis.reconnect",
            },
        }
    }
    with override_settings(CHANNEL_LAYERS=layers):
        yield layers


async def _closed(layer: Any) -> None:
    await layer.layer.aclose()


async def test_every_receiving_channel_hears_of_the_outage_and_the_recovery(
    own_redis: RedisServer, pubsub_settings: dict[str, Any]
) -> None:
    layer = get_channel_layer()
    try:
        names = [await layer.new_channel() for _ in range(3)]
        # One of them pulls from Redis for all three: it must hear too, mid-outage.
        receives = [asyncio.ensure_future(layer.receive(name)) for name in names]
        await asyncio.sleep(0)
        await asyncio.to_thread(own_redis.stop)
        lost = await asyncio.wait_for(asyncio.gather(*receives), NOTICE_DEADLINE)
        assert lost == [{"type": "redis.disconnect"}] * 3

        receives = [asyncio.ensure_future(layer.receive(name)) for name in names]
        await asyncio.to_thread(own_redis.start)
        back = await asyncio.wait_for(asyncio.gather(*receives), NOTICE_DEADLINE)
        assert back == [{"type": "redis.reconnect"}] * 3

        # And the layer works as before.
        await layer.send(names[0], {"type": "chat.message", "text": "hi"})
        assert await asyncio.wait_for(layer.receive(names[0]), NOTICE_DEADLINE) == {
            "type": "chat.message",
            "text": "hi",
        }
    finally:
        await _closed(layer)


async def test_a_channel_whose_receive_was_cancelled_hears_nothing(
    own_redis: RedisServer, pubsub_settings: dict[str, Any]
) -> None:
    layer = get_channel_layer()
    try:
        staying, leaving = await layer.new_channel(), await layer.new_channel()
        stays = asyncio.ensure_future(layer.receive(staying))
        leaves = asyncio.ensure_future(layer.receive(leaving))
        await asyncio.sleep(0)
        leaves.cancel()  # as a consumer's receive is when the consumer ends
        with pytest.raises(asyncio.CancelledError):
            await leaves
        await asyncio.to_thread(own_redis.stop)
        assert await asyncio.wait_for(stays, NOTICE_DEADLINE) == {"type": "redis.disconnect"}
        await asyncio.to_thread(own_redis.start)
        assert await asyncio.wait_for(layer.receive(staying), NOTICE_DEADLINE) == {
            "type": "redis.reconnect"
        }
        assert layer._demux(leaving).pending().get(leaving) is None
    finally:
        await _closed(layer)


def docs_example() -> dict[str, Any]:
    """The ``outage-notices`` block of docs/channels4.rst, run as written."""
    (source,) = [body for options, body in BLOCK.findall(PAGE.read_text()) if "outage" in options]
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    exec(compile(textwrap.dedent(source), "channels4.rst[outage-notices]", "exec"), namespace)
    return namespace


async def test_the_documented_consumer_handles_the_notices_and_carries_on(
    own_redis: RedisServer,
) -> None:
    example = docs_example()
    layers = example["CHANNEL_LAYERS"]
    layers["default"]["CONFIG"]["hosts"] = [own_redis.url]
    with override_settings(CHANNEL_LAYERS=layers):
        communicator = WebsocketCommunicator(example["NewsConsumer"].as_asgi(), "/news/")
        layer = get_channel_layer()
        try:
            connected, _ = await communicator.connect()
            assert connected
            await asyncio.to_thread(own_redis.stop)
            assert await communicator.receive_from(NOTICE_DEADLINE) == (
                "offline: news may be missed"
            )
            await asyncio.to_thread(own_redis.start)
            assert await communicator.receive_from(NOTICE_DEADLINE) == "online again"
            # It rejoined its group on the empty, restarted server.
            await layer.group_send("news", {"type": "news.item", "text": "after"})
            assert await communicator.receive_from(NOTICE_DEADLINE) == "after"
            await communicator.disconnect()
        finally:
            await _closed(layer)
