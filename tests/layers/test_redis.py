"""What only the Redis layer does: sharding, Sentinel, outages, key hygiene, encryption,
one stored copy per process prefix, and blocking pops longer than the socket timeout.

Sharding, Sentinel and outage tests start their own ``redis-server`` processes on free ports
(see :mod:`tests.layers.redis_servers`); the rest use the shared server under a key prefix of
their own.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from channels.exceptions import ChannelLayerUnavailable
from channels.layers.redis import RedisChannelLayer
from tests.conftest import keys_under, running_under_ci
from tests.layers.contract import (
    WAKE_DEADLINE,
    LayerBackend,
    LayerFactory,
    LoopThread,
    receive_all,
    receive_in_thread,
)
from tests.layers.redis_servers import RedisServer, redis_server_binary

pytestmark = pytest.mark.redis

#: How long a layer may take to notice that its Redis is back.
RECOVERY_DEADLINE = 15.0


def need_redis_server() -> None:
    """Skip (or fail under CI) when throwaway servers cannot be started."""
    if redis_server_binary() is None:
        reason = "redis-server is not on PATH; install it (apt-get install redis-server)"
        if running_under_ci():
            pytest.fail(f"redis-server is required under CI: {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture
def make_layer(redis_url: str, redis_prefix: str) -> Iterator[LayerFactory]:
    """``make_layer(**options)``: a Redis layer on the shared server under the test's prefix
    (pass ``hosts`` or ``sentinels`` to go elsewhere); all are closed after the test."""
    factory = LayerFactory(
        LayerBackend(RedisChannelLayer, {"hosts": [redis_url], "prefix": redis_prefix})
    )
    yield factory
    factory.close_all()


@pytest.fixture
def loop_thread(make_layer: LayerFactory) -> Iterator[LoopThread]:
    """An event loop in a thread; the async side of this test's layers is closed on it."""
    loop = LoopThread()
    yield loop
    loop.close(make_layer.made)


@pytest.fixture(scope="module")
def shard_servers() -> Iterator[list[RedisServer]]:
    """Two throwaway redis-servers for sharding tests."""
    need_redis_server()
    servers = [RedisServer(), RedisServer()]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.cleanup()


@pytest.fixture
def sharded_layer(
    make_layer: LayerFactory, shard_servers: list[RedisServer]
) -> Iterator[RedisChannelLayer]:
    layer = make_layer(hosts=[server.url for server in shard_servers])
    yield layer
    layer.flush()


def shard_of(servers: list[RedisServer], key: str) -> int:
    """The index of the one server that holds ``key``."""
    holders = []
    for index, server in enumerate(servers):
        client = server.client()
        try:
            if client.exists(key):
                holders.append(index)
        finally:
            client.close()
    assert len(holders) == 1, f"{key!r} is on servers {holders}"
    return holders[0]


# -- sharding -------------------------------------------------------------------------------


CHANNELS = [f"sharded.{number}" for number in range(40)]


def test_messages_for_different_channels_land_on_different_shards(
    sharded_layer: RedisChannelLayer, shard_servers: list[RedisServer], redis_prefix: str
) -> None:
    for channel in CHANNELS:
        sharded_layer.send(channel, {"channel": channel})
    shards = {channel: shard_of(shard_servers, redis_prefix + channel) for channel in CHANNELS}
    assert set(shards.values()) == {0, 1}, "40 channels all hashed to one server"
    for channel in CHANNELS:
        assert sharded_layer.receive([channel]) == (channel, {"channel": channel})


def test_group_send_reaches_members_on_every_shard(
    sharded_layer: RedisChannelLayer, shard_servers: list[RedisServer], redis_prefix: str
) -> None:
    members = [*CHANNELS, "sharded.proc.a!x", "sharded.proc.b!y", "sharded.proc.c!z"]
    for member in members:
        sharded_layer.group_add("spread", member)
    assert sorted(sharded_layer.group_channels("spread")) == sorted(members)
    sharded_layer.send_group("spread", {"text": "all"})
    used = {shard_of(shard_servers, redis_prefix + channel) for channel in CHANNELS}
    assert used == {0, 1}
    for channel in CHANNELS:
        assert sharded_layer.receive([channel]) == (channel, {"text": "all"})
    for prefix, channel in [
        ("sharded.proc.a!", "sharded.proc.a!x"),
        ("sharded.proc.b!", "sharded.proc.b!y"),
        ("sharded.proc.c!", "sharded.proc.c!z"),
    ]:
        assert receive_all(sharded_layer, [prefix]) == [(channel, {"text": "all"})]


def two_channels_on_different_shards(
    layer: RedisChannelLayer, servers: list[RedisServer], prefix: str
) -> tuple[str, str]:
    for channel in CHANNELS:
        layer.send(channel, {"probe": True})
    by_shard: dict[int, str] = {}
    for channel in CHANNELS:
        by_shard.setdefault(shard_of(servers, prefix + channel), channel)
    layer.flush()
    return by_shard[0], by_shard[1]


def test_receive_across_shards_gets_messages_from_each(
    sharded_layer: RedisChannelLayer,
    shard_servers: list[RedisServer],
    redis_prefix: str,
    loop_thread: LoopThread,
) -> None:
    first, second = two_channels_on_different_shards(sharded_layer, shard_servers, redis_prefix)
    sharded_layer.send(first, {"n": 1})
    sharded_layer.send(second, {"n": 2})
    got = sorted(receive_all(sharded_layer, [first, second]), key=lambda item: item[1]["n"])
    assert got == [(first, {"n": 1}), (second, {"n": 2})]

    # A blocking receive over both shards wakes for a send to either of them.
    for target in (first, second):
        _, done, result = receive_in_thread(sharded_layer, [first, second])
        sharded_layer.send(target, {"to": target})
        assert done.wait(WAKE_DEADLINE), f"receive over two shards not woken by {target!r}"
        assert result == [(target, {"to": target})]

    future = loop_thread.submit(sharded_layer.areceive([first, second], block=True, timeout=10))
    sharded_layer.send(second, {"n": 3})
    assert future.result(WAKE_DEADLINE) == (second, {"n": 3})


def command_calls(servers: list[RedisServer], command: str) -> list[int]:
    """How many times each server ran ``command`` since its statistics were reset."""
    counts = []
    for server in servers:
        client = server.client()
        try:
            counts.append(client.info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0))
        finally:
            client.close()
    return counts


def reset_command_stats(servers: list[RedisServer]) -> None:
    for server in servers:
        client = server.client()
        try:
            client.config_resetstat()
        finally:
            client.close()


@pytest.mark.parametrize("api", ["sync", "async"])
def test_batches_take_one_round_trip_per_server(
    sharded_layer: RedisChannelLayer,
    shard_servers: list[RedisServer],
    redis_prefix: str,
    loop_thread: LoopThread,
    api: str,
) -> None:
    first, second = two_channels_on_different_shards(sharded_layer, shard_servers, redis_prefix)
    sharded_layer.send_many([(first, {"warm": 1}), (second, {"warm": 1})])  # scripts loaded
    assert len(receive_all(sharded_layer, [first, second])) == 2
    items = [(channel, {"n": n}) for n in range(10) for channel in (first, second)]
    reset_command_stats(shard_servers)
    if api == "sync":
        results = sharded_layer.send_many(items)
    else:
        results = loop_thread.run(sharded_layer.asend_many(items))
    assert results == [None] * 20
    assert command_calls(shard_servers, "evalsha") == [1, 1]

    # Ten messages wait on the first channel's server: a blocking batch receive takes all of
    # them in one script call (shared among its queues), with no blocking pop.
    reset_command_stats(shard_servers)
    if api == "sync":
        batch = sharded_layer.receive_many([first], 16, block=True, timeout=5)
    else:
        batch = loop_thread.run(sharded_layer.areceive_many([first], 16, block=True, timeout=5))
    assert batch == [(first, {"n": n}) for n in range(10)]
    assert sum(command_calls(shard_servers, "evalsha")) == 1
    assert sum(command_calls(shard_servers, "blmpop")) == 0

    # Without blocking: one script call.
    reset_command_stats(shard_servers)
    assert sharded_layer.receive_many([second], 4) == [(second, {"n": n}) for n in range(4)]
    assert sum(command_calls(shard_servers, "evalsha")) == 1


# -- Sentinel -------------------------------------------------------------------------------


def test_a_message_round_trips_through_sentinel(
    make_layer: LayerFactory, redis_prefix: str, loop_thread: LoopThread
) -> None:
    need_redis_server()
    with RedisServer() as master, RedisServer(sentinel_for=master) as sentinel:
        layer = make_layer(hosts=None, sentinels=[sentinel.address], services=["mymaster"])
        layer.send("via.sentinel", {"text": "hello"})
        layer.group_add("sentinel.group", "via.sentinel.member")
        layer.send_group("sentinel.group", {"text": "group"})
        client = master.client()
        try:
            assert client.llen(redis_prefix + "via.sentinel") == 1  # stored on the master
        finally:
            client.close()
        assert layer.receive(["via.sentinel"]) == ("via.sentinel", {"text": "hello"})
        assert layer.receive(["via.sentinel.member"], block=True, timeout=5) == (
            "via.sentinel.member",
            {"text": "group"},
        )
        loop_thread.run(layer.asend("via.sentinel", {"text": "async"}))
        assert loop_thread.run(layer.areceive(["via.sentinel"], block=True, timeout=5)) == (
            "via.sentinel",
            {"text": "async"},
        )
        # Closing must release every connection, the Sentinel ones included: collect now so
        # that an unclosed socket fails this test rather than a later one.
        loop_thread.run(layer.aclose())
        layer.close()
        gc.collect()


# -- outages --------------------------------------------------------------------------------


def test_a_send_during_an_outage_raises_and_receive_recovers_after_a_restart(
    make_layer: LayerFactory,
) -> None:
    need_redis_server()
    with RedisServer() as server:
        layer = make_layer(hosts=[server.url])
        layer.send("outage", {"n": 0})
        assert layer.receive(["outage"]) == ("outage", {"n": 0})

        stop, received, failures = threading.Event(), threading.Event(), []
        got: list[Any] = []
        unavailable = []

        def receive_loop() -> None:
            while not stop.is_set():
                try:
                    channel, message = layer.receive(["outage"], block=True, timeout=1)
                except ChannelLayerUnavailable as exc:  # a worker would log and go on
                    unavailable.append(exc)
                    continue
                except BaseException as exc:
                    failures.append(exc)
                    return
                if channel is not None:
                    got.append((channel, message))
                    received.set()

        thread = threading.Thread(target=receive_loop, daemon=True)
        thread.start()
        try:
            server.stop()
            with pytest.raises(ChannelLayerUnavailable, match="Redis") as raised:
                layer.send("outage", {"n": 1})
            assert isinstance(raised.value, ConnectionError)
            server.start()
            layer.send("outage", {"n": 2})
            assert received.wait(RECOVERY_DEADLINE), (
                f"the receive loop got nothing within {RECOVERY_DEADLINE} s of the restart; "
                f"failures: {failures!r}"
            )
            assert got == [("outage", {"n": 2})]
            assert failures == []
        finally:
            stop.set()
            thread.join(RECOVERY_DEADLINE)
        assert not thread.is_alive()


# -- keys -----------------------------------------------------------------------------------


def test_no_keys_are_left_after_messages_are_received_and_members_discarded(
    make_layer: LayerFactory, leftover_keys: Callable[[], list[bytes]]
) -> None:
    layer = make_layer()
    layer.send("tidy", {"n": 1})
    layer.send("tidy.proc!a", {"n": 1})
    layer.group_add("tidy.group", "tidy.member")
    layer.group_add("tidy.group", "tidy.proc!b")
    layer.send_group("tidy.group", {"n": 2})
    assert leftover_keys() != []
    receive_all(layer, ["tidy"])
    receive_all(layer, ["tidy.proc!"])
    receive_all(layer, ["tidy.member"])
    layer.group_discard("tidy.group", "tidy.member")
    layer.group_discard("tidy.group", "tidy.proc!b")
    assert leftover_keys() == []


def test_abandoned_channels_and_groups_have_a_ttl(
    make_layer: LayerFactory,
    redis_client: redis.Redis,
    redis_prefix: str,
    leftover_keys: Callable[[], list[bytes]],
) -> None:
    layer = make_layer(expiry=10, group_expiry=100)
    layer.send("abandoned", {"n": 1})
    layer.send("abandoned.proc!a", {"n": 1})
    layer.group_add("abandoned.group", "abandoned")
    layer.group_add("abandoned.group", "abandoned.proc!a")
    keys = leftover_keys()
    assert len(keys) >= 3, keys
    for key in keys:
        ttl = redis_client.pttl(key)
        limit = 100_000 if b"group" in key[len(redis_prefix) :] else 12_000
        assert 0 < ttl <= limit, f"{key!r} has TTL {ttl} ms"


# -- encryption -----------------------------------------------------------------------------


def stored_bytes(client: redis.Redis, prefix: str) -> bytes:
    """Everything stored under ``prefix``, concatenated, whatever the key types."""
    chunks = []
    for key in keys_under(client, prefix):
        kind = client.type(key)
        if kind == b"list":
            chunks += client.lrange(key, 0, -1)
        elif kind == b"hash":
            for field, value in client.hgetall(key).items():
                chunks += [field, value]
        elif kind == b"string":
            chunks.append(client.get(key))
        elif kind == b"zset":
            chunks += client.zrange(key, 0, -1)
        elif kind == b"set":
            chunks += list(client.smembers(key))
        else:
            raise AssertionError(f"unexpected key type {kind!r} for {key!r}")
    return b"".join(chunks)


def test_encrypted_messages_round_trip_and_are_not_stored_in_plaintext(
    make_layer: LayerFactory, redis_client: redis.Redis, redis_prefix: str
) -> None:
    layer = make_layer(symmetric_encryption_keys=["a secret"])
    message = {"text": "plaintext-marker-text", "data": b"plaintext-marker-bytes"}
    layer.send("secret", message)
    layer.group_add("secret.group", "secret.proc!a")
    layer.send_group("secret.group", message)
    stored = stored_bytes(redis_client, redis_prefix)
    assert stored, "nothing was stored"
    assert b"plaintext-marker" not in stored
    assert layer.receive(["secret"]) == ("secret", message)
    assert layer.receive(["secret.proc!"]) == ("secret.proc!a", message)


def test_a_message_encrypted_with_the_old_key_is_read_after_rotation(
    make_layer: LayerFactory,
) -> None:
    old = make_layer(symmetric_encryption_keys=["old key"])
    rotated = make_layer(symmetric_encryption_keys=[b"new key", "old key"])
    old.send("rotating", {"n": 1})
    rotated.send("rotating", {"n": 2})
    assert receive_all(rotated, ["rotating"]) == [("rotating", {"n": 1}), ("rotating", {"n": 2})]


# -- one stored copy per prefix -------------------------------------------------------------


def test_group_send_to_a_thousand_members_on_two_prefixes_stores_two_entries(
    make_layer: LayerFactory, redis_client: redis.Redis, redis_prefix: str
) -> None:
    layer = make_layer()
    members = {"big.a!": [f"big.a!{n}" for n in range(500)]}
    members["big.b!"] = [f"big.b!{n}" for n in range(500)]
    for names in members.values():
        for name in names:
            layer.group_add("thousand", name)
    layer.send_group("thousand", {"text": "to all"})
    lists = [
        key for key in keys_under(redis_client, redis_prefix) if redis_client.type(key) == b"list"
    ]
    assert sum(redis_client.llen(key) for key in lists) == 2
    assert redis_client.llen(redis_prefix + "big.a!") == 1
    assert redis_client.llen(redis_prefix + "big.b!") == 1
    assert layer.global_statistics()["group_messages_sent"] == 1000
    for prefix, names in members.items():
        received = receive_all(layer, [prefix])
        assert sorted(channel for channel, _ in received) == sorted(names)
        assert all(message == {"text": "to all"} for _, message in received)


# -- blocking pops and the client's socket timeout ------------------------------------------


def test_a_blocking_receive_outlasts_a_shorter_socket_timeout(
    make_layer: LayerFactory, loop_thread: LoopThread
) -> None:
    layer = make_layer(connection_kwargs={"socket_timeout": 1}, block_timeout=3)
    started = time.monotonic()
    assert layer.receive(["silent"], block=True) == (None, None)
    assert time.monotonic() - started >= 2.5  # it waited for block_timeout, not 1 s
    started = time.monotonic()
    assert loop_thread.run(layer.areceive(["silent"], block=True)) == (None, None)
    assert time.monotonic() - started >= 2.5
    layer.send("silent", {"n": 1})  # the connections still work afterwards
    assert layer.receive(["silent"], block=True) == ("silent", {"n": 1})


# -- bursts ---------------------------------------------------------------------------------


def test_a_burst_of_concurrent_async_sends_waits_for_connections_instead_of_failing(
    make_layer: LayerFactory, loop_thread: LoopThread
) -> None:
    # Far more concurrent sends than the pool has connections (100): they queue for one.
    layer = make_layer(capacity=5000)

    async def burst() -> None:
        await asyncio.gather(*(layer.asend("burst", {"n": n}) for n in range(2000)))

    loop_thread.run(burst())
    assert layer.channel_statistics("burst")["messages_pending"] == 2000
