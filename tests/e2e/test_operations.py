"""Operating a deployment: daphne and runworker processes on Redis, seen through
``manage.py channels``, their Prometheus metrics and their structured logs."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect

from tests.operations.json_logs import MISSING, logging_settings
from tests.processes import ROOT

from .conftest import START_TIMEOUT, Deployment, ServerProcess, free_port

pytestmark = pytest.mark.redis

#: Fast heartbeats, so that a stopped process is seen gone within about a second.
FAST = {"CHANNELS_HEARTBEAT_INTERVAL": 0.3}
DEADLINE = 30.0


def channels_command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m django channels *args`` in the deployment's environment."""
    return subprocess.run(
        [sys.executable, "-m", "django", "channels", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def channels_json(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = channels_command(env, *args, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def wait_for_document(
    env: dict[str, str], args: tuple[str, ...], ready: Callable[[dict[str, Any]], bool], what: str
) -> dict[str, Any]:
    """Run the command until ``ready(document)``: heartbeats arrive on a timer."""
    deadline = time.monotonic() + DEADLINE
    while True:
        document = channels_json(env, *args)
        if ready(document):
            return document
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {DEADLINE} s; last:\n{document}")


def by_pid(document: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {process["pid"]: process for process in document["processes"]}


async def test_status_lists_daphne_and_both_workers_with_their_counts(
    deployment: Callable[..., Deployment],
) -> None:
    site = deployment(workers=2, settings=FAST)
    async with httpx.AsyncClient(base_url=site.http, timeout=DEADLINE) as client:
        for _ in range(10):
            assert (await client.get("/pid/")).status_code == 200
    daphne, first, second = site.daphne.pid, *(worker.pid for worker in site.workers)

    def counted(document: dict[str, Any]) -> bool:
        processes = by_pid(document)
        return (
            set(processes) == {daphne, first, second}
            and processes[daphne]["handled"] >= 10
            and processes[first]["handled"] + processes[second]["handled"] >= 10
        )

    processes = by_pid(wait_for_document(site.env, ("status",), counted, "counts"))
    assert processes[daphne]["kind"] == "interface"
    assert processes[daphne]["connections"] == 0
    for pid in (first, second):
        assert processes[pid]["kind"] == "worker"
        assert processes[pid]["state"] == "live"
        assert "http.request" in processes[pid]["channels"]
        assert processes[pid]["failed"] == 0
    table = channels_command(site.env, "status")
    assert table.returncode == 0
    assert "3 live process(es)" in table.stdout


async def test_a_killed_worker_is_listed_as_gone_and_the_check_still_passes(
    deployment: Callable[..., Deployment],
) -> None:
    site = deployment(workers=2, settings=FAST)
    victim, survivor = site.workers
    wait_for_document(site.env, ("status",), lambda d: len(d["processes"]) == 3, "three processes")
    victim.process.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    document = wait_for_document(
        site.env,
        ("status",),
        lambda d: by_pid(d).get(victim.pid, {}).get("state") == "gone",
        "gone worker",
    )
    # Three missed beats of 0.3 s, plus the time to run the command.
    assert time.monotonic() - killed_at < 15
    assert by_pid(document)[survivor.pid]["state"] == "live"
    # The survivor still listens on every routed channel.
    check = channels_command(site.env, "status", "--check")
    assert check.returncode == 0, check.stderr
    # A clean stop withdraws the record at once: the survivor is not "gone", it is not there.
    assert survivor.stop() == 0
    processes = by_pid(channels_json(site.env, "status"))
    assert survivor.pid not in processes
    assert processes[victim.pid]["state"] == "gone"


async def test_refusals_of_a_full_channel_are_summed_and_the_check_fails_without_workers(
    deployment: Callable[..., Deployment],
) -> None:
    site = deployment(workers=0, capacity=2, settings={**FAST, "CHANNELS_HTTP_TIMEOUT": 20})
    async with httpx.AsyncClient(base_url=site.http, timeout=DEADLINE) as client:
        # Two requests fill http.request (nobody takes them); the next ones are refused.
        waiting = [asyncio.create_task(client.get("/pid/")) for _ in range(2)]
        await wait_until_pending(site, "http.request", 2)
        refused = await asyncio.gather(*(client.get("/pid/") for _ in range(4)))
        assert [response.status_code for response in refused] == [503] * 4
        document = wait_for_document(
            site.env,
            ("queues",),
            lambda d: row_of(d, "http.request")["refused_full"] >= 4,
            "refusals",
        )
        row = row_of(document, "http.request")
        assert (row["pending"], row["capacity"], row["listeners"]) == (2, 2, 0)
        check = channels_command(site.env, "queues", "--check")
        assert check.returncode == 1
        assert "http.request: routed, but no live worker listens on it" in check.stderr
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)


async def consumer_raises(site: Deployment) -> None:
    """Make a consumer raise: ``close_on_request`` cannot read "close abc" as a code, and the
    worker closes the socket with 1011 (4011 through daphne)."""
    async with connect(site.ws + "/close/ops/", open_timeout=DEADLINE) as socket:
        await socket.send("close abc")
        await asyncio.wait_for(socket.wait_closed(), DEADLINE)
    assert socket.close_code == 4011


def row_of(document: dict[str, Any], channel: str) -> dict[str, Any]:
    return next(row for row in document["queues"] if row["channel"] == channel)


async def wait_until_pending(site: Deployment, channel: str, count: int) -> None:
    from channels.layers.redis import RedisChannelLayer

    layer = RedisChannelLayer([site.env["REDIS_URL"]], site.prefix)
    try:
        deadline = time.monotonic() + DEADLINE
        while (await layer.achannel_statistics(channel))["messages_pending"] < count:
            assert time.monotonic() < deadline, f"{channel} never held {count} messages"
            await asyncio.sleep(0.02)
    finally:
        await layer.aclose()


def scrape(address: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """The samples served at ``address``, parsed by prometheus_client's own parser:
    ``{sample name: {labels: value}}``."""
    text = httpx.get(f"http://{address}/metrics", timeout=DEADLINE).text
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = tuple(sorted(sample.labels.items()))
            samples.setdefault(sample.name, {})[labels] = sample.value
    return samples


async def test_metrics_of_a_worker_and_of_daphne_can_be_scraped(
    deployment: Callable[..., Deployment],
) -> None:
    interface_address = f"127.0.0.1:{free_port()}"
    site = deployment(workers=0, settings={**FAST, "CHANNELS_METRICS_ADDRESS": interface_address})
    command = [sys.executable, "-m", "django", "runworker", "--metrics", "127.0.0.1:0"]
    worker = ServerProcess("runworker-metrics", command, site.env)
    site.processes.append(worker)
    found = worker.wait_for(r"Serving metrics on http://(127\.0\.0\.1:\d+)/metrics", START_TIMEOUT)
    worker.wait_for("worker listening on", START_TIMEOUT)
    worker_address = found.group(1)
    async with httpx.AsyncClient(base_url=site.http, timeout=DEADLINE) as client:
        for _ in range(5):
            assert (await client.get("/pid/")).status_code == 200
        assert (await client.get("/boom/")).status_code == 500  # Django's own 500: handled
    async with connect(site.ws + "/echo/", open_timeout=DEADLINE) as socket:
        await socket.send("hello")
        assert await asyncio.wait_for(socket.recv(), DEADLINE) == "hello"
        daphne = await asyncio.to_thread(scrape, interface_address)
        assert daphne["channels_websockets_open"][()] == 1
    await consumer_raises(site)

    http, frames = (("channel", "http.request"),), (("channel", "websocket.receive"),)
    samples = await asyncio.to_thread(scrape, worker_address)
    assert samples["channels_messages_received_total"][http] == 6
    assert samples["channels_messages_handled_total"][http] == 6
    assert samples["channels_messages_handled_total"][frames] == 1
    assert samples["channels_messages_failed_total"][frames] == 1
    assert samples["channels_consumer_duration_seconds_count"][http] == 6
    assert samples["channels_queue_depth"][http] == 0
    assert http in samples["channels_queue_oldest_age_seconds"]

    daphne = await asyncio.to_thread(scrape, interface_address)
    assert daphne["channels_http_responses_total"][(("status", "200"),)] == 5
    assert daphne["channels_http_responses_total"][(("status", "500"),)] == 1
    assert daphne["channels_reply_latency_seconds_count"][()] == 6
    assert daphne["channels_websockets_open"][()] == 0
    assert (("channel", "websocket.receive"),) in daphne["channels_queue_depth"]
    # The public port serves the site, never the metrics.
    assert httpx.get(site.http + "/metrics", timeout=DEADLINE).status_code == 404


async def test_log_records_carry_channel_reply_channel_and_consumer(
    deployment: Callable[..., Deployment],
) -> None:
    site = deployment(
        workers=1, settings={"LOGGING": logging_settings(), "CHANNELS_ACCESS_LOG": True}
    )
    async with httpx.AsyncClient(base_url=site.http, timeout=DEADLINE) as client:
        assert (await client.get("/pid/")).status_code == 200
    await consumer_raises(site)
    worker = site.workers[0]
    line = worker.wait_for(r"^JSON .*raised on a message on .*websocket\.receive", DEADLINE)
    failure = json.loads(line.string[len("JSON ") :])
    assert failure["logger"] == "channels.worker"
    assert failure["level"] == "ERROR"
    assert failure["channel"] == "websocket.receive"
    assert re.fullmatch(r"daphne\.response\.[\w-]+![\w-]+", failure["reply_channel"])
    assert failure["consumer"] == "tests.project.e2e_routing.close_on_request"
    access = site.daphne.wait_for(r'^JSON .*"logger": "channels.access".*GET /pid/', DEADLINE)
    record = json.loads(access.string[len("JSON ") :])
    assert record["channel"] == "http.request"
    assert record["reply_channel"].startswith("daphne.response.")
    assert record["status_code"] == 200
    # Every channels record has the fields, bound or None.
    for process in (worker, site.daphne):
        for text in process.output().splitlines():
            if text.startswith("JSON "):
                fields = json.loads(text[len("JSON ") :])
                assert MISSING not in (fields["channel"], fields["reply_channel"]), text
                assert fields["consumer"] != MISSING, text
