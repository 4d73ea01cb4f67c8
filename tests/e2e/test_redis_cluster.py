"""The seeds' deployment on a Redis Cluster: daphne plus two runworker processes, given one
node's address (cluster mode is detected), serving the chat; and a failover under a broadcast.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection, connect

from channels.exceptions import ChannelLayerUnavailable
from channels.layers.names import queue_name
from channels.layers.redis import RedisChannelLayer
from tests.layers.redis_cluster import (
    LocalCluster,
    cluster_client,
    delete_cluster_keys_under,
    start_or_skip,
)

from . import test_websocket
from .conftest import Site, serve_site

#: Deadline for a handshake or a frame in calm conditions.
DEADLINE = 10.0
#: Longest a failover may take before every socket hears broadcasts again: the cluster
#: notices the dead primary (NODE_TIMEOUT_MS), promotes its replica, and the clients find it.
RECOVERY_DEADLINE = 30.0
SOCKETS = 100
TICK = 0.1


@pytest.fixture(scope="module")
def cluster_site(
    redis_cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """Daphne plus two runworker processes on the session's cluster."""
    site = None
    try:
        with serve_site(
            "cluster", tmp_path_factory.mktemp("cluster-site"), redis_cluster.url
        ) as site:
            yield site
    finally:
        if site is not None and site.prefix is not None:
            delete_cluster_keys_under(redis_cluster, site.prefix)


async def test_the_seeds_chat_runs_on_a_cluster(cluster_site: Site) -> None:
    await test_websocket.test_the_seeds_chat_reaches_all_three_clients_and_not_a_disconnected_one(
        cluster_site
    )


# -- failover (a cluster of its own: a primary is killed) -------------------------------------


@pytest.fixture(scope="module")
def failover_cluster() -> Iterator[LocalCluster]:
    cluster = start_or_skip(primaries=3, replicas_each=1)
    yield cluster
    cluster.stop()


def _primary_port_of(cluster: LocalCluster, key: str) -> int:
    client = cluster_client(cluster)
    try:
        return int(client.get_node_from_key(key).port)
    finally:
        client.close()


async def _daphne_queue(site: Site, layer: RedisChannelLayer) -> str:
    """The key of daphne's reply queue (learnt from a socket's membership)."""
    assert site.prefix is not None
    probe_room = uuid.uuid4().hex
    async with connect(f"{site.ws}/room/{probe_room}/", open_timeout=DEADLINE):
        # The connect consumer joins the group before it accepts the socket.
        members = await layer.agroup_channels(f"room-{probe_room}")
    assert len(members) == 1, members
    return site.prefix + queue_name(members[0])


async def test_sockets_in_a_group_hear_broadcasts_again_after_their_primary_fails_over(
    failover_cluster: LocalCluster, tmp_path: Path
) -> None:
    with serve_site("failover", tmp_path, failover_cluster.url) as site:
        assert site.prefix is not None
        layer = RedisChannelLayer(hosts=[failover_cluster.url], prefix=site.prefix)
        # The primary to kill holds both daphne's reply queue and the group's members.
        queue = await _daphne_queue(site, layer)
        victim_port = _primary_port_of(failover_cluster, queue)
        room = next(
            room
            for room in (uuid.uuid4().hex for _ in range(1000))
            if _primary_port_of(failover_cluster, f"{site.prefix}group:room-{room}") == victim_port
        )
        group = f"room-{room}"
        gate = asyncio.Semaphore(50)

        async def join() -> ClientConnection:
            async with gate:
                return await connect(f"{site.ws}/room/{room}/", open_timeout=DEADLINE)

        sockets = list(await asyncio.gather(*(join() for _ in range(SOCKETS))))
        # tick number -> when it was sent; per socket, the ticks it heard
        sent_at: dict[int, float] = {}
        heard: list[list[int]] = [[] for _ in sockets]
        progress = asyncio.Event()
        refused: list[ChannelLayerUnavailable] = []

        async def listen(index: int, socket: ClientConnection) -> None:
            async for frame in socket:
                heard[index].append(int(str(frame).split()[1]))
                progress.set()

        async def broadcast() -> None:
            tick = 0
            while True:
                tick += 1
                sent_at[tick] = time.monotonic()
                try:
                    await layer.asend_group(group, {"text": f"tick {tick}"})
                except ChannelLayerUnavailable as exc:  # while the cluster fails over
                    refused.append(exc)
                await asyncio.sleep(TICK)  # the broadcast's own pace

        async def every_socket_hears_after(tick: int, deadline: float) -> float:
            """Wait until each socket heard a tick later than ``tick``; return when."""
            until = time.monotonic() + deadline
            while True:
                progress.clear()
                late = [i for i, ticks in enumerate(heard) if not ticks or ticks[-1] <= tick]
                if not late:
                    return time.monotonic()
                remaining = until - time.monotonic()
                assert remaining > 0, f"{len(late)} sockets hear nothing after tick {tick}"
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(progress.wait(), remaining)

        listeners = [asyncio.create_task(listen(i, s)) for i, s in enumerate(sockets)]
        broadcaster = asyncio.create_task(broadcast())
        try:
            await every_socket_hears_after(0, DEADLINE)
            assert len(await layer.agroup_channels(group)) == SOCKETS
            victim = next(node for node in failover_cluster.nodes if node.port == victim_port)
            victim.kill()
            killed_at, last_before = time.monotonic(), max(sent_at)
            recovered_at = await every_socket_hears_after(last_before, RECOVERY_DEADLINE)
            # The replica took over: the cluster is whole again without the dead node.
            failover_cluster.wait_until_ok(failover_cluster.live_nodes(), DEADLINE)
            assert victim_port != _primary_port_of(failover_cluster, queue)
            # The group kept its members; nothing died and no socket was dropped.
            assert len(await layer.agroup_channels(group)) == SOCKETS
            for process in site.processes:
                assert process.process.poll() is None, f"{process.name} died:\n{process.output(40)}"
            assert all(not task.done() for task in listeners)
            assert recovered_at - killed_at < RECOVERY_DEADLINE
        finally:
            broadcaster.cancel()
            await asyncio.gather(broadcaster, return_exceptions=True)
            await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
            await asyncio.gather(*listeners, return_exceptions=True)
            await layer.aclose()
            delete_cluster_keys_under(failover_cluster, site.prefix)
