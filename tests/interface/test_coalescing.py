"""The bridge's per-turn batching of sends (:mod:`channels.interface.coalescing`): many
sockets' frames in one round trip, each sender with its own outcome, on real layers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from channels.exceptions import ChannelFull, ChannelLayerError, MessageTooLarge
from channels.interface.coalescing import SendCoalescer
from channels.layers.inmemory import InMemoryChannelLayer
from channels.layers.redis import RedisChannelLayer
from tests.layers.contract import receive_all
from tests.layers.redis_servers import RedisServer
from tests.layers.test_redis import command_calls, need_redis_server, reset_command_stats

DEADLINE = 10.0


@pytest.fixture(scope="module")
def server() -> Iterator[RedisServer]:
    """A redis-server of this module's own, to count the commands the sends made."""
    need_redis_server()
    with RedisServer() as server:
        yield server


async def test_sends_of_one_turn_take_one_round_trip(server: RedisServer) -> None:
    layer = RedisChannelLayer(hosts=[server.url], prefix="coalesce:")
    try:
        coalescer = SendCoalescer(layer)
        # A first batch loads the scripts.
        await asyncio.gather(*(coalescer.send("frames", {"warm": n}) for n in range(2)))
        assert len(receive_all(layer, ["frames"])) == 2
        reset_command_stats([server])
        sends = [coalescer.send("frames", {"n": n}) for n in range(20)]
        assert await asyncio.wait_for(asyncio.gather(*sends), DEADLINE) == [None] * 20
        assert command_calls([server], "evalsha") == [1]
        assert receive_all(layer, ["frames"]) == [("frames", {"n": n}) for n in range(20)]
    finally:
        layer.flush()
        await layer.aclose()


async def test_a_lone_send_goes_at_the_end_of_its_turn() -> None:
    layer = InMemoryChannelLayer()
    coalescer = SendCoalescer(layer)
    await asyncio.wait_for(coalescer.send("frames", {"n": 1}), DEADLINE)
    assert layer.receive(["frames"]) == ("frames", {"n": 1})


async def test_each_sender_gets_its_own_outcome() -> None:
    layer = InMemoryChannelLayer(channel_capacity={"small": 2}, max_message_size=1024)
    coalescer = SendCoalescer(layer)
    outcomes = await asyncio.wait_for(
        asyncio.gather(
            coalescer.send("small", {"n": 1}),
            coalescer.send("other", {"big": "x" * 4096}),  # refuses the whole batch
            coalescer.send("small", {"n": 2}),
            coalescer.send("small", {"n": 3}),  # the channel is full by now
            coalescer.send("other", {"n": 4}),
            return_exceptions=True,
        ),
        DEADLINE,
    )
    assert outcomes[0] is None and outcomes[2] is None and outcomes[4] is None
    assert isinstance(outcomes[1], MessageTooLarge)
    assert isinstance(outcomes[3], ChannelFull)
    assert receive_all(layer, ["small"]) == [("small", {"n": 1}), ("small", {"n": 2})]
    assert receive_all(layer, ["other"]) == [("other", {"n": 4})]


async def test_every_sender_hears_that_the_layer_is_unreachable() -> None:
    down = RedisServer()  # a free port nothing listens on
    layer = RedisChannelLayer(hosts=[down.url], prefix="coalesce:")
    try:
        coalescer = SendCoalescer(layer)
        outcomes = await asyncio.wait_for(
            asyncio.gather(
                *(coalescer.send("frames", {"n": n}) for n in range(3)), return_exceptions=True
            ),
            DEADLINE,
        )
        assert all(isinstance(outcome, ChannelLayerError) for outcome in outcomes), outcomes
    finally:
        await layer.aclose()
        down.cleanup()


async def test_a_cancelled_sender_does_not_stop_the_others() -> None:
    layer = InMemoryChannelLayer()
    coalescer = SendCoalescer(layer)
    leaving = asyncio.ensure_future(coalescer.send("frames", {"n": 1}))
    staying = asyncio.ensure_future(coalescer.send("frames", {"n": 2}))
    await asyncio.sleep(0)
    leaving.cancel()
    assert await asyncio.wait_for(staying, DEADLINE) is None
    # Its frame had joined the batch already: sent, as a single send's might have been.
    assert [m["n"] for _, m in receive_all(layer, ["frames"])] == [1, 2]
