"""``manage.py channels``: its tables, its JSON, its checks and its errors, in process, on
the in-memory layer and on Redis (a prefix of the test's own). The real deployment (daphne
and runworker processes) is in ``tests/e2e/test_operations.py``."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test.utils import override_settings

from channels.asgi import channel_layers
from channels.exceptions import ChannelFull
from channels.management.inspection import PROCESS_KEYS, QUEUE_KEYS

ROUTING = "tests.project.e2e_routing.channel_routing"
REDIS = "channels.layers.redis.RedisChannelLayer"
INMEMORY = "channels.layers.inmemory.InMemoryChannelLayer"


def run(*args: str) -> tuple[str, str]:
    """``manage.py channels *args``: (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command("channels", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_json(*args: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(run(*args, "--json")[0])
    return document


@pytest.fixture
def redis_layer(redis_url: str, redis_prefix: str) -> Iterator[Any]:
    """The ``default`` layer on Redis under this test's prefix, with the e2e routing."""
    # http.request and websocket.* have larger default capacities of their own: set them too.
    config = {
        "hosts": [redis_url],
        "prefix": redis_prefix,
        "capacity": 2,
        "channel_capacity": {"http.request": 2, "websocket.*": 2},
    }
    with override_settings(
        CHANNEL_LAYERS={"default": {"BACKEND": REDIS, "CONFIG": config, "ROUTING": ROUTING}}
    ):
        layer = channel_layers["default"]
        yield layer
        layer.channel_layer.close()


def worker_record(channels: list[str], **fields: Any) -> dict[str, Any]:
    return {
        "id": "box:42:abcd",
        "kind": "worker",
        "host": "box",
        "pid": 42,
        "started": time.time() - 60,
        "heartbeat": time.time(),
        "interval": 5.0,
        "channels": channels,
        "connections": None,
        "handled": 12,
        "failed": 1,
        **fields,
    }


@pytest.mark.redis
def test_status_lists_every_published_process_with_stable_keys(redis_layer: Any) -> None:
    redis_layer.publish_process(worker_record(["http.request"]), 60, {})
    document = run_json("status")
    assert document["layer"] == "default"
    assert document["backend"] == REDIS
    assert document["scope"] == "deployment"
    [process] = document["processes"]
    assert tuple(process) == PROCESS_KEYS
    assert (process["kind"], process["state"], process["handled"]) == ("worker", "live", 12)
    table, _ = run("status")
    assert "1 live process(es)" in table
    assert "worker  live   box   42" in table


@pytest.mark.redis
def test_queues_show_pending_age_and_the_deployments_refusals(redis_layer: Any) -> None:
    redis_layer.send("http.request", {"n": 1})
    redis_layer.send("http.request", {"n": 2})
    with pytest.raises(ChannelFull):
        redis_layer.send("http.request", {"n": 3})
    # What every process counted arrives with their heartbeats; one stands in for them here.
    redis_layer.publish_process(worker_record([]), 60, redis_layer.tally.drain())
    queues = {row["channel"]: row for row in run_json("queues")["queues"]}
    row = queues["http.request"]
    assert row["pending"] == 2
    assert row["capacity"] == 2
    assert row["oldest_age"] >= 0
    assert row["refused_full"] == 1
    assert (row["routed"], row["listeners"]) == (True, 0)
    assert tuple(row) == QUEUE_KEYS
    assert queues["websocket.receive"]["pending"] == 0
    table, _ = run("queues")
    assert "REFUSED FULL" in table


@pytest.mark.redis
def test_check_fails_on_an_old_message_and_on_a_routed_channel_without_a_worker(
    redis_layer: Any,
) -> None:
    routed = [row["channel"] for row in run_json("queues")["queues"] if row["routed"]]
    assert {"http.request", "websocket.connect", "websocket.receive"} <= set(routed)
    redis_layer.publish_process(worker_record(routed), 60, {})
    run("queues", "--check")  # every routed channel has a live worker, nothing waits

    redis_layer.send("websocket.receive", {"n": 1})
    with pytest.raises(SystemExit) as exited:
        run("queues", "--check", "--max-age", "0.000001")
    assert exited.value.code == 1

    redis_layer.publish_process(worker_record(["http.request"]), 60, {})
    err = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("channels", "status", "--check", stdout=io.StringIO(), stderr=err)
    assert "websocket.connect: routed, but no live worker listens on it" in err.getvalue()


@pytest.mark.redis
def test_groups_list_member_counts_and_a_groups_members(redis_layer: Any) -> None:
    redis_layer.group_add("room-a", "daphne.response.x!1")
    redis_layer.group_add("room-a", "daphne.response.x!2")
    redis_layer.group_add("room-b", "daphne.response.y!1")
    assert run_json("groups")["groups"] == [
        {"name": "room-a", "members": 2},
        {"name": "room-b", "members": 1},
    ]
    assert run_json("groups", "room-a")["members"] == [
        "daphne.response.x!1",
        "daphne.response.x!2",
    ]
    table, _ = run("groups", "room-a")
    assert table.splitlines()[0] == "Group room-a: 2 member(s)"


def test_the_in_memory_layer_says_it_sees_only_its_own_process() -> None:
    with override_settings(CHANNEL_LAYERS={"default": {"BACKEND": INMEMORY, "ROUTING": ROUTING}}):
        _, err = run("status")
        assert "lives in this process's memory, so this shows this process only" in err
        assert run_json("status")["scope"] == "process"
        with pytest.raises(CommandError, match="--check needs a layer other processes share"):
            run("queues", "--check")


class NoRegistryLayer:
    """A third-party layer that keeps no process registry."""

    def __init__(self, **options: Any) -> None:
        pass


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["status", "--layer", "nope"], "no channel layer 'nope' in CHANNEL_LAYERS"),
        (["status", "room"], "only 'groups' takes a NAME; 'status' got 'room'"),
        (["queues", "--max-age", "0"], "--max-age must be a positive number, got 0.0"),
        (["groups", "--check"], "--check goes with 'status' or 'queues'"),
        (["groups", "bad name!"], "group"),
    ],
)
def test_user_mistakes_are_command_errors(args: list[str], message: str) -> None:
    layers = {"default": {"BACKEND": INMEMORY, "ROUTING": ROUTING}}
    with override_settings(CHANNEL_LAYERS=layers), pytest.raises(CommandError) as raised:
        run(*args)
    assert message in str(raised.value)


def test_a_layer_without_a_registry_is_explained() -> None:
    backend = f"{__name__}.NoRegistryLayer"
    layers = {"default": {"BACKEND": backend}}
    with override_settings(CHANNEL_LAYERS=layers), pytest.raises(CommandError) as raised:
        run("status")
    assert "keeps no process registry" in str(raised.value)


def test_an_unreachable_redis_is_a_command_error_not_a_traceback() -> None:
    config = {"hosts": ["redis://127.0.0.1:1"], "prefix": "unreachable:"}
    layers = {"default": {"BACKEND": REDIS, "CONFIG": config, "ROUTING": ROUTING}}
    with override_settings(CHANNEL_LAYERS=layers), pytest.raises(CommandError) as raised:
        run("status")
    assert "cannot read the processes" in str(raised.value)
    assert "cannot reach Redis" in str(raised.value)
