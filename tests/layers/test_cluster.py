"""The Redis layer on a Redis Cluster: what the contract suite does not cover.

Detection of cluster mode, keys spread over every primary, ``send_group`` over members in all
slots (one copy per process prefix), ``flush`` on every primary, TLS with an ACL user, and a
resharding under traffic. The contract suite itself runs on the cluster through
``test_contract.py``.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis.cluster

from channels.exceptions import ChannelLayerUnavailable
from channels.layers.cluster import key_slot
from channels.layers.redis import RedisChannelLayer
from tests.layers.redis_cluster import (
    LocalCluster,
    cluster_client,
    delete_cluster_keys_under,
    make_certificates,
    start_or_skip,
)

#: How long a drain, a resharding or any wait below may take.
DEADLINE = 60.0


@pytest.fixture
def prefix(redis_cluster: LocalCluster) -> Iterator[str]:
    """A key prefix of this test's own on the session's cluster, emptied afterwards."""
    prefix = f"test:{uuid.uuid4().hex}:"
    yield prefix
    delete_cluster_keys_under(redis_cluster, prefix)


@pytest.fixture
def client(redis_cluster: LocalCluster) -> Iterator[redis.cluster.RedisCluster]:
    """A plain cluster client, to look at what the layer stored."""
    client = cluster_client(redis_cluster)
    yield client
    client.close()


def nodes_holding(client: redis.cluster.RedisCluster, keys: list[str]) -> set[str]:
    return {client.get_node_from_key(key).name for key in keys}


def channels_on_distinct_slots(count: int, stem: str) -> list[str]:
    names, slots = [], set()
    number = 0
    while len(names) < count:
        name = f"{stem}.{number}"
        number += 1
        if key_slot(name) not in slots:
            slots.add(key_slot(name))
            names.append(name)
    return names


def test_cluster_mode_is_detected_from_the_server(redis_cluster: LocalCluster, prefix: str) -> None:
    layer = RedisChannelLayer(hosts=[redis_cluster.url], prefix=prefix)
    try:
        assert layer.cluster is not None
        layer.send("detected", {"n": 1})
        assert layer.receive(["detected"]) == ("detected", {"n": 1})
    finally:
        layer.close()


def test_several_nodes_in_any_form_are_startup_nodes(
    redis_cluster: LocalCluster, prefix: str
) -> None:
    first, second, third = redis_cluster.live_nodes()[:3]
    hosts = [
        first.url + "/0",
        ("127.0.0.1", second.port),
        {"host": "127.0.0.1", "port": third.port},
    ]
    layer = RedisChannelLayer(hosts=hosts, prefix=prefix)
    try:
        assert layer.cluster is not None
        layer.send("several", {"n": 1})
        assert layer.receive(["several"]) == ("several", {"n": 1})
    finally:
        layer.close()


def test_a_single_server_is_not_taken_for_a_cluster(redis_url: str, redis_prefix: str) -> None:
    layer = RedisChannelLayer(hosts=[redis_url], prefix=redis_prefix)
    try:
        assert layer.cluster is None
    finally:
        layer.close()


def test_a_layer_told_it_is_not_a_cluster_switches_at_the_first_moved(
    redis_cluster: LocalCluster, prefix: str
) -> None:
    layer = RedisChannelLayer(hosts=[redis_cluster.url], prefix=prefix, cluster=False)
    try:
        # A name whose slot another node owns answers MOVED; the first such call says so
        # and switches the layer, which then works.
        other = next(
            f"moved.{n}"
            for n in range(10_000)
            if not _owned_by(redis_cluster, prefix + f"moved.{n}", redis_cluster.nodes[0].port)
        )
        with pytest.raises(ChannelLayerUnavailable, match="cluster"):
            layer.send(other, {"n": 1})
        assert layer.cluster is not None
        layer.send(other, {"n": 2})
        assert layer.receive([other]) == (other, {"n": 2})
    finally:
        layer.close()


def _owned_by(cluster: LocalCluster, key: str, port: int) -> bool:
    client = cluster_client(cluster)
    try:
        return int(client.get_node_from_key(key).port) == port
    finally:
        client.close()


def test_a_database_number_other_than_0_is_refused_in_cluster_mode() -> None:
    with pytest.raises(ValueError, match=r"only database 0, but 'redis://10\.0\.0\.5:7000/3'"):
        RedisChannelLayer(hosts=["redis://10.0.0.5:7000/3"], cluster=True)


def test_sentinel_and_cluster_mode_cannot_be_combined() -> None:
    with pytest.raises(ValueError, match="Sentinel and cluster"):
        RedisChannelLayer(sentinels=[("127.0.0.1", 1)], services=["m"], cluster=True)


def test_send_group_to_1000_members_over_all_slots_delivers_exactly_once_each(
    redis_cluster: LocalCluster, prefix: str, client: redis.cluster.RedisCluster
) -> None:
    layer = RedisChannelLayer(hosts=[redis_cluster.url], prefix=prefix, capacity=10)
    try:
        members = [f"member.{number}" for number in range(1000)]
        # Their queues are spread over the slots of all three primaries.
        assert len(nodes_holding(client, [prefix + member for member in members])) == 3
        assert len({key_slot(prefix + member) for member in members}) > 900
        for member in members:
            layer.group_add("thousand", member)
        layer.send_group("thousand", {"text": "to all"})
        # Each queue holds exactly one copy; receiving takes it and leaves nothing.
        for member in members:
            assert layer.receive([member]) == (member, {"text": "to all"}), member
        received = [layer.receive([member]) for member in members]
        assert all(item == (None, None) for item in received)
        assert layer.global_statistics()["group_messages_sent"] == 1000
    finally:
        layer.close()


def test_members_on_one_process_prefix_get_one_stored_copy(
    redis_cluster: LocalCluster, prefix: str, client: redis.cluster.RedisCluster
) -> None:
    layer = RedisChannelLayer(hosts=[redis_cluster.url], prefix=prefix)

    async def scenario() -> list[Any]:
        for number in range(300):
            await layer.agroup_add("crowd", f"daphne.response.one!{number}")
            await layer.agroup_add("crowd", f"daphne.response.two!{number}")
        await layer.agroup_add("crowd", "plain.member")
        await layer.asend_group("crowd", {"text": "warm-up"})  # scripts loaded everywhere
        await layer.aflush()
        for number in range(300):
            await layer.agroup_add("crowd", f"daphne.response.one!{number}")
            await layer.agroup_add("crowd", f"daphne.response.two!{number}")
        await layer.agroup_add("crowd", "plain.member")
        before = script_calls(client)
        await layer.asend_group("crowd", {"text": "hi"})
        # One script reads the members; then one push per slot holding a member's queue,
        # never one per member.
        queues = ("daphne.response.one!", "daphne.response.two!", "plain.member")
        assert script_calls(client) - before == 1 + len({key_slot(prefix + q) for q in queues})
        stored = [
            client.llen(prefix + queue)
            for queue in ("daphne.response.one!", "daphne.response.two!", "plain.member")
        ]
        got = [await layer.areceive(["daphne.response.one!"]) for _ in range(300)]
        assert sorted(channel for channel, _ in got) == sorted(
            f"daphne.response.one!{number}" for number in range(300)
        )
        await layer.aclose()
        return stored

    try:
        assert asyncio.run(scenario()) == [1, 1, 1]
    finally:
        layer.close()


def script_calls(client: redis.cluster.RedisCluster) -> int:
    """Script calls run so far, summed over the primaries."""
    stats = client.info("commandstats", target_nodes=redis.cluster.RedisCluster.PRIMARIES)
    return sum(
        int(node_stats.get("cmdstat_evalsha", {}).get("calls", 0)) for node_stats in stats.values()
    )


def test_flush_empties_every_primary(
    redis_cluster: LocalCluster, prefix: str, client: redis.cluster.RedisCluster
) -> None:
    layer = RedisChannelLayer(hosts=[redis_cluster.url], prefix=prefix)
    try:
        names = channels_on_distinct_slots(60, "flushed")
        for name in names:
            layer.send(name, {"n": 1})
            layer.group_add(f"group-{name.replace('.', '-')}", name)
        keys = sorted(client.scan_iter(match=prefix + "*"))
        assert len(nodes_holding(client, [key.decode() for key in keys])) == 3
        layer.flush()
        assert list(client.scan_iter(match=prefix + "*")) == []
    finally:
        layer.close()


# -- a cluster of its own, run as managed services run them (TLS only, one ACL user) ------
# -- and where slots move between primaries ---------------------------------------------------


@pytest.fixture(scope="module")
def secure_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """Three primaries that speak TLS only and let in one ACL user."""
    certificates = make_certificates(tmp_path_factory.mktemp("tls"))
    cluster = start_or_skip(primaries=3, replicas_each=0, tls=certificates)
    cluster.require_user("channels", "s3cret-Token")
    yield cluster
    cluster.stop()


def test_resharding_under_traffic_loses_nothing_acknowledged(
    secure_cluster: LocalCluster,
) -> None:
    prefix = f"test:{uuid.uuid4().hex}:"
    client = cluster_client(secure_cluster)
    source, target = secure_cluster.primaries()[:2]
    node_ids = {
        int(address.rsplit(":", 1)[1]): facts["node_id"]
        for address, facts in client.cluster_nodes().items()
    }
    moved = 200
    # redis-cli moves the source's lowest slots first: put the traffic there.
    owners = client.nodes_manager
    first = min(
        slot for slot in range(16384) if owners.get_node_from_slot(slot).port == source.port
    )
    channels = [
        name
        for name in (f"moving.{n}" for n in range(50_000))
        if first <= key_slot(prefix + name) < first + moved
    ][:20]
    options = {"hosts": [secure_cluster.url], "prefix": prefix, "capacity": 100_000}
    sender, receiver = RedisChannelLayer(**options), RedisChannelLayer(**options)
    for name in channels[:10]:
        sender.group_add("moving", name)
    acknowledged: list[tuple[str, int]] = []
    received: list[tuple[str, int]] = []
    refused: list[BaseException] = []
    stop_sending, stop_receiving = threading.Event(), threading.Event()

    def send_traffic() -> None:
        number = 0
        while not stop_sending.is_set():
            number += 1
            try:
                if number % 5 == 0:
                    sender.send_group("moving", {"n": number})
                    acknowledged.extend((member, number) for member in channels[:10])
                else:
                    name = channels[number % len(channels)]
                    sender.send(name, {"n": number})
                    acknowledged.append((name, number))
            except ChannelLayerUnavailable as exc:  # not acknowledged: it may be lost
                refused.append(exc)

    def receive_traffic(listened: list[str]) -> None:
        while True:
            try:
                channel, message = receiver.receive(listened, block=True, timeout=0.5)
            except ChannelLayerUnavailable as exc:
                refused.append(exc)
                continue
            if channel is not None:
                received.append((channel, message["n"]))
            elif stop_receiving.is_set():
                return

    threads = [
        threading.Thread(target=send_traffic, name="reshard-sender"),
        # Half the channels are received while slots move; the other half fill up, so
        # their queues are migrated with messages in them.
        threading.Thread(target=receive_traffic, args=(channels[::2],), name="reshard-receiver"),
    ]
    for thread in threads:
        thread.start()
    try:
        reshard = subprocess.run(
            [
                shutil.which("redis-cli") or "redis-cli",
                *secure_cluster.cli_options(),
                "--cluster",
                "reshard",
                f"127.0.0.1:{source.port}",
                "--cluster-from",
                node_ids[source.port],
                "--cluster-to",
                node_ids[target.port],
                "--cluster-slots",
                str(moved),
                "--cluster-yes",
            ],
            capture_output=True,
            timeout=DEADLINE,
        )
        assert reshard.returncode == 0, reshard.stdout[-2000:]
        # Some traffic after the move too, then drain everything.
        after = len(acknowledged) + 200
        deadline = time.monotonic() + DEADLINE
        while len(acknowledged) < after and time.monotonic() < deadline and threads[0].is_alive():
            threads[0].join(0.05)
    finally:
        stop_sending.set()
        threads[0].join(DEADLINE)
        stop_receiving.set()
        threads[1].join(DEADLINE)
        receive_traffic(channels)
        sender.close()
        receiver.close()
    try:
        client.nodes_manager.initialize()
        assert client.get_node_from_key(prefix + channels[0]).port == target.port
        assert len(received) == len(set(received)), "a message was delivered twice"
        lost = set(acknowledged) - set(received)
        assert not lost, f"{len(lost)} acknowledged messages were lost, e.g. {sorted(lost)[:5]}"
        assert len(acknowledged) > 400, (len(acknowledged), refused[:3])
    finally:
        client.close()


def test_a_cluster_over_tls_with_an_acl_user_works_as_one_server_does(
    secure_cluster: LocalCluster,
) -> None:
    prefix = f"test:{uuid.uuid4().hex}:"
    url = secure_cluster.url
    assert url.startswith("rediss://channels:s3cret-Token@")
    layer = RedisChannelLayer(hosts=[url], prefix=prefix)

    async def in_async() -> None:
        await layer.agroup_add("secure", "secure.async")
        await layer.asend_group("secure", {"n": 2})
        assert await layer.areceive(["secure.async"], block=True, timeout=5) == (
            "secure.async",
            {"n": 2},
        )
        await layer.aclose()

    try:
        assert layer.cluster is not None  # detected over TLS, as the ACL user
        names = channels_on_distinct_slots(30, "secure")
        for name in names:
            layer.send(name, {"n": 1})
        assert [layer.receive([name]) for name in names] == [(name, {"n": 1}) for name in names]
        asyncio.run(in_async())
        layer.flush()
        assert delete_cluster_keys_under(secure_cluster, prefix) == []
    finally:
        layer.close()


def test_a_wrong_password_is_a_clear_error(secure_cluster: LocalCluster) -> None:
    url = secure_cluster.url.replace("s3cret-Token", "wrong")
    layer = RedisChannelLayer(hosts=[url], prefix="test:wrong:", cluster=True)
    try:
        with pytest.raises(ChannelLayerUnavailable, match="cannot reach Redis") as raised:
            layer.send("anything", {"n": 1})
        assert "password" in str(raised.value).lower()
    finally:
        layer.close()
