"""The process registry, the per-queue tally and the heartbeat, on every layer."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from channels.exceptions import ChannelFull, ChannelLayerUnavailable
from channels.layers.heartbeat import Heartbeat
from channels.layers.registry import (
    ProcessRegistry,
    listened_channels,
    record_ttl,
    registry_of,
)

DEADLINE = 10.0


def wait_for(predicate: Callable[[], Any], what: str, timeout: float = DEADLINE) -> Any:
    """``predicate()`` once truthy; fails after ``timeout`` seconds. Heartbeats are timers,
    so this polls the registry, never sleeps a fixed time."""
    deadline = time.monotonic() + timeout
    while True:
        found = predicate()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {timeout} s")
        time.sleep(0.02)


def record(process_id: str, kind: str = "worker", **fields: Any) -> dict[str, Any]:
    base = {
        "id": process_id,
        "kind": kind,
        "host": "here",
        "pid": 1,
        "started": time.time(),
        "heartbeat": time.time(),
        "interval": 0.05,
        "channels": [],
        "connections": None,
        "handled": 0,
        "failed": 0,
    }
    return {**base, **fields}


def test_a_published_record_is_listed_live_with_its_heartbeat_age(
    make_layer: Callable[..., Any],
) -> None:
    layer = make_layer()
    layer.publish_process(record("a", channels=["http.request"], handled=7), 60, {})
    [listed] = layer.processes()
    assert listed["id"] == "a"
    assert listed["state"] == "live"
    assert listed["handled"] == 7
    assert 0 <= listed["heartbeat_age"] < 5
    assert listened_channels([listed]) == {"http.request"}


def test_a_process_that_stops_beating_is_gone_then_forgotten(
    make_layer: Callable[..., Any],
) -> None:
    layer = make_layer()
    # 0.05 s beats: gone after three missed beats; the store forgets it after the ttl.
    layer.publish_process(record("quiet"), 0.6, {})
    wait_for(lambda: [p for p in layer.processes() if p["state"] == "gone"], "gone record")
    assert listened_channels(layer.processes()) == set()
    wait_for(lambda: layer.processes() == [], "forgotten record")


def test_withdrawing_removes_the_record_at_once(make_layer: Callable[..., Any]) -> None:
    layer = make_layer()
    layer.publish_process(record("a"), 60, {})
    layer.publish_process(record("b", kind="interface", connections=3), 60, {})
    layer.withdraw_process("a")
    assert [p["id"] for p in layer.processes()] == ["b"]


def test_counts_from_every_process_add_up(make_layer: Callable[..., Any]) -> None:
    first, second = make_layer(), make_layer()
    first.publish_process(record("a"), 60, {"channel_full_count": {"http.request": 2}})
    first.publish_process(record("a"), 60, {"channel_full_count": {"http.request": 1}})
    second.publish_process(record("b"), 60, {"messages_expired": {"jobs": 4}})
    # The in-memory layer sees only what was published through the same object.
    reader = first if first.registry_scope == "process" else second
    counts = reader.deployment_counts()
    assert counts["channel_full_count"] == {"http.request": 3}
    if reader.registry_scope == "deployment":
        assert counts["messages_expired"] == {"jobs": 4}


def test_refused_and_expired_messages_are_tallied_per_queue(
    make_layer: Callable[..., Any],
) -> None:
    layer = make_layer(capacity=1, expiry=0.2)
    layer.send("jobs", {"n": 1})
    with pytest.raises(ChannelFull):
        layer.send("jobs", {"n": 2})
    reply = layer.new_channel("daphne.response.abc!")
    layer.group_add("everyone", "jobs")
    layer.group_add("everyone", reply)
    layer.send_group("everyone", {"n": 3})  # jobs is full: skipped, counted as refused
    expired_at = time.monotonic() + 0.2
    assert layer.tally.totals()["channel_full_count"] == {"jobs": 2}
    # Expiry is a matter of time: wait until both messages are past it, then the receive
    # that meets them drops and counts them.
    threading.Event().wait(max(0.0, expired_at - time.monotonic()) + 0.05)
    assert layer.receive(["jobs", "daphne.response.abc!"]) == (None, None)
    if type(layer).__name__ == "IPCChannelLayer":
        # The IPC layer counts expired messages for the whole layer, not per queue.
        assert layer.global_statistics()["messages_expired"] == 2
        return
    assert layer.tally.totals()["messages_expired"] == {"jobs": 1, "daphne.response.abc!": 1}


def test_queue_and_group_names_list_what_holds_something(
    make_layer: Callable[..., Any],
) -> None:
    layer = make_layer()
    layer.send("jobs", {"n": 1})
    layer.send(layer.new_channel("daphne.response.xyz!"), {"n": 2})
    layer.group_add("room-1", "jobs")
    layer.publish_process(record("a"), 60, {"channel_full_count": {"jobs": 1}})
    assert layer.queue_names() == ["daphne.response.xyz!", "jobs"]
    assert layer.group_names() == ["room-1"]


def test_a_heartbeat_publishes_on_its_timer_and_withdraws_when_stopped(
    make_layer: Callable[..., Any],
) -> None:
    layer = make_layer(capacity=1)
    beats = []

    def describe() -> dict[str, Any]:
        beats.append(1)
        return {"channels": ["jobs"], "handled": len(beats)}

    heartbeat = Heartbeat(layer, "worker", describe, interval=0.05).start()
    try:
        [mine] = wait_for(lambda: [p for p in layer.processes() if p["handled"] >= 3], "beats")
        assert mine["pid"] == os.getpid()
        assert mine["kind"] == "worker"
        # Refusals reach the deployment's counts with a beat, not with the send.
        layer.send("jobs", {})
        with pytest.raises(ChannelFull):
            layer.send("jobs", {})
        wait_for(lambda: layer.deployment_counts().get("channel_full_count"), "counts")
        assert layer.deployment_counts()["channel_full_count"] == {"jobs": 1}
    finally:
        heartbeat.stop()
    assert layer.processes() == []


def test_a_heartbeat_keeps_counts_it_could_not_publish() -> None:
    class Unreachable(ProcessRegistry):
        def __init__(self) -> None:
            from channels.layers.tally import ChannelTally

            self.tally = ChannelTally()
            self.down = True
            self.published: list[Any] = []

        def publish_process(self, record: Any, ttl: float, counts: Any) -> None:
            if self.down:
                raise ChannelLayerUnavailable("cannot reach Redis")
            self.published.append(counts)

        def withdraw_process(self, process_id: str) -> None: ...
        def processes(self) -> list[Any]:
            return []

        def deployment_counts(self) -> Any:
            return {}

        def queue_names(self) -> list[str]:
            return []

        def group_names(self) -> list[str]:
            return []

    layer = Unreachable()
    heartbeat = Heartbeat(layer, "interface", interval=1)
    layer.tally.add("channel_full_count", "http.request", 2)
    assert heartbeat.beat() is False
    layer.tally.add("channel_full_count", "http.request", 1)
    layer.down = False
    assert heartbeat.beat() is True
    assert layer.published == [{"channel_full_count": {"http.request": 3}}]


def test_a_layer_without_a_registry_gets_a_clear_error() -> None:
    class ThirdParty:
        pass

    with pytest.raises(TypeError, match=r"keeps no process registry.*ProcessRegistry"):
        registry_of(ThirdParty())
    with pytest.raises(TypeError, match="keeps no process registry"):
        Heartbeat(ThirdParty(), "worker")


def test_bad_heartbeat_arguments_are_refused() -> None:
    from channels.layers.inmemory import InMemoryChannelLayer

    with pytest.raises(ValueError, match="kind must be one of"):
        Heartbeat(InMemoryChannelLayer(), "daemon")
    with pytest.raises(ValueError, match="positive number, got 0"):
        Heartbeat(InMemoryChannelLayer(), "worker", interval=0)


def test_records_outlive_their_last_beat_long_enough_to_be_seen_gone() -> None:
    assert record_ttl(5) == 100
    assert record_ttl(0.1) == 60


@pytest.mark.redis
def test_a_stopped_deployment_leaves_no_keys(
    redis_url: str, redis_prefix: str, leftover_keys: Callable[[], list[bytes]]
) -> None:
    from channels.layers.redis import RedisChannelLayer

    layer = RedisChannelLayer([redis_url], redis_prefix, capacity=1)
    layer.send("jobs", {})
    with pytest.raises(ChannelFull):
        layer.send("jobs", {})
    layer.flush()
    heartbeat = Heartbeat(layer, "worker", interval=0.05).start()
    wait_for(layer.deployment_counts, "published counts")
    heartbeat.stop()
    keys = leftover_keys()
    # Only the counters remain, and they expire by themselves.
    assert [key.rsplit(b":", 1)[-1] for key in keys] == [b"counts"]
    assert all(0 < layer.shards[0].client.pttl(key) <= 60_000 for key in keys)
    layer.close()


def test_registry_reads_are_safe_beside_a_beating_thread(make_layer: Callable[..., Any]) -> None:
    layer = make_layer()
    heartbeat = Heartbeat(layer, "interface", lambda: {"connections": 1}, interval=0.01).start()
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(50):
                layer.processes()
        except BaseException as exc:
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    for thread in readers:
        thread.join(DEADLINE)
    heartbeat.stop()
    assert errors == []
