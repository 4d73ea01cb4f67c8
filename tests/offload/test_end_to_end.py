"""Offloading through real ``runworker`` processes on Redis, the test playing the interface
server (``docs/message-spec.rst``: ``http.request`` messages in, replies read from Redis),
against a real upstream HTTP server on loopback."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from channels.layers.redis import RedisChannelLayer
from tests.runworker_process import RunworkerProcess
from tests.workers import http_request, read_response, receive

from .upstream import Upstream

CONCURRENT = 200
UPSTREAM_MS = 200
CAPACITY = 1000


def site_env(upstream: Upstream, dead_port: int) -> dict[str, str]:
    """Environment for a runworker serving ``tests/offload/site.py``."""
    return {
        "CHANNELS_TEST_ROUTING": "tests.offload.site.channel_routing",
        "CHANNELS_TEST_URLCONF": "tests.offload.site",
        "CHANNELS_TEST_SETTINGS": json.dumps(
            {"OFFLOAD_TEST_UPSTREAM": upstream.url(""), "OFFLOAD_TEST_DEAD_PORT": dead_port}
        ),
    }


def start_worker(prefix: str, url: str, env: dict[str, str], *args: str) -> RunworkerProcess:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        return RunworkerProcess(prefix, url, *args, capacity=CAPACITY)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    with Upstream() as server:
        yield server


@pytest.fixture(scope="module")
def site(redis_url: str, upstream: Upstream) -> Iterator[tuple[Any, RunworkerProcess]]:
    """ONE runworker with ONE sync thread, serving views and offload consumers alike."""
    prefix = f"test:offload:{uuid.uuid4().hex}:"
    layer = RedisChannelLayer(hosts=[redis_url], prefix=prefix, capacity=CAPACITY)
    env = site_env(upstream, free_port())
    args = ("-v", "2", "--threads", "1", "--max-concurrency", "1000")
    with start_worker(prefix, redis_url, env, *args) as worker:
        try:
            worker.wait_ready()
            yield layer, worker
            assert worker.process.poll() is None, f"the worker died:\n{worker.output}"
            assert worker.terminate() == 0, worker.output
        finally:
            layer.flush()
            layer.close()


def get(layer: Any, path: str, **content: Any) -> tuple[int, dict[bytes, bytes], bytes]:
    message, reply = http_request(layer, path, **content)
    layer.send("http.request", message)
    return read_response(layer, reply, timeout=20)


def concurrent_gets(layer: Any, path: str, count: int, timeout: float = 30.0) -> list[Any]:
    """Send ``count`` requests at once; ``(status, body)`` of each, once all have answered."""
    replies: dict[str, list[dict[str, Any]]] = {}
    prefix = ""
    for _ in range(count):
        message, prefix = http_request(layer, path)
        replies[message["reply_channel"]] = []
        layer.send("http.request", message)
    deadline = time.monotonic() + timeout
    done = 0
    while done < count:
        channel, reply = receive(layer, prefix, max(deadline - time.monotonic(), 0.001))
        replies[channel].append(reply)
        if not reply.get("more_content"):
            done += 1
    return [
        (parts[0]["status"], b"".join(p.get("content", b"") for p in parts))
        for parts in replies.values()
    ]


@pytest.mark.redis
def test_200_offloaded_requests_take_about_one_upstream_latency(
    site: Any, upstream: Upstream
) -> None:
    layer, _ = site
    assert get(layer, f"/offloaded/?ms={UPSTREAM_MS}")[0] == 200  # warm up imports, pools
    started = time.monotonic()
    results = concurrent_gets(layer, f"/offloaded/?ms={UPSTREAM_MS}", CONCURRENT)
    elapsed = time.monotonic() - started
    print(
        f"{CONCURRENT} offloaded requests of {UPSTREAM_MS} ms each, one sync thread: "
        f"{elapsed:.3f} s; at most {upstream.peak_in_flight} waiting on the upstream at once"
    )
    assert results == [(200, b"slow ok")] * CONCURRENT
    # The waits overlapped: with the thread waiting, there would never be more than one.
    # (The thread starts a view every few ms, so some 40-60 overlap on an idle machine.)
    assert upstream.peak_in_flight >= 20
    # Serially: 200 x 0.2 s = 40 s. About 1 s on an idle 2-core machine (the single
    # thread's view work, not the waits); the bound leaves room for a loaded CI machine.
    assert elapsed < 10.0, f"took {elapsed:.2f} s"


@pytest.mark.redis
def test_offloaded_fetch_streams_through_the_worker(site: Any, upstream: Upstream) -> None:
    layer, _ = site
    message, prefix = http_request(layer, "/proxy/?path=/stream")
    layer.send("http.request", message)
    first = receive(layer, prefix, 20)[1]
    # The upstream holds the rest back until released: the first chunk was streamed.
    assert (first["status"], first["content"], first["more_content"]) == (200, b"first;", True)
    upstream.release()
    rest = [receive(layer, prefix, 20)[1]]
    while rest[-1].get("more_content"):
        rest.append(receive(layer, prefix, 20)[1])
    assert b"".join(r["content"] for r in rest) == b"second;last"


@pytest.mark.redis
def test_offloaded_fetch_maps_upstream_failures(site: Any) -> None:
    layer, _ = site
    status, headers, body = get(layer, "/unreachable/")
    assert status == 502
    assert headers[b"content-type"] == b"text/plain; charset=utf-8"
    assert body.startswith(b"Bad Gateway: could not get a response from the upstream server")
    status, _, body = get(layer, "/proxy/?path=/hang&timeout=0.5")
    assert status == 504
    assert b"did not answer within 0.5 seconds" in body


@pytest.mark.redis
def test_offloaded_command_maps_exit_codes_and_timeout(site: Any) -> None:
    layer, _ = site
    assert get(layer, "/command/?exit=0")[::2] == (200, b"ran with 0\n")
    assert get(layer, "/command/?exit=1")[::2] == (500, b"failed with 1\n")
    assert get(layer, "/command/?exit=3")[::2] == (404, b"failed with 3\n")
    started = time.monotonic()
    status, _, body = get(layer, "/command/?sleep=30&timeout=0.5")
    assert status == 504
    assert b"did not finish within 0.5 seconds" in body
    assert time.monotonic() - started < 10


@pytest.mark.redis
def test_users_offload_to_their_own_async_consumer(site: Any) -> None:
    layer, _ = site
    status, headers, body = get(layer, "/shout/?text=hello")
    assert (status, body) == (200, b"HELLO!")
    assert headers[b"content-length"] == b"6"


@pytest.mark.redis
def test_a_plain_http_consumer_hands_its_message_on(site: Any) -> None:
    layer, worker = site
    assert get(layer, "/low-level/")[::2] == (200, b"slow ok")
    assert "ResponseLater" not in worker.output


@pytest.mark.redis
def test_a_dedicated_offload_worker_serves_the_offloaded_work(
    redis_url: str, upstream: Upstream
) -> None:
    prefix = f"test:offload:{uuid.uuid4().hex}:"
    layer = RedisChannelLayer(hosts=[redis_url], prefix=prefix, capacity=CAPACITY)
    env = site_env(upstream, free_port())
    views = start_worker(
        prefix,
        redis_url,
        env,
        *("-v", "2", "--threads", "1", "--exclude-channels", "channels.offload.*"),
    )
    offloader = start_worker(
        prefix,
        redis_url,
        env,
        *("-v", "2", "--only-channels", "channels.offload.*", "--max-concurrency", "1000"),
    )
    with views, offloader:
        try:
            views.wait_ready()
            offloader.wait_ready()
            listening = offloader.wait_for_line("worker listening on")
            assert "channels.offload.command, channels.offload.fetch" in listening
            assert "http.request" not in listening
            assert "channels.offload" not in views.wait_for_line("worker listening on")
            started = time.monotonic()
            results = concurrent_gets(layer, f"/offloaded/?ms={UPSTREAM_MS}", 100)
            elapsed = time.monotonic() - started
            assert results == [(200, b"slow ok")] * 100
            assert elapsed < 10.0, f"took {elapsed:.2f} s"
            assert get(layer, "/command/?exit=0")[::2] == (200, b"ran with 0\n")
            offloader.wait_for_line("channels.offload.fetch -> channels.offload.proxy")
            offloader.wait_for_line("channels.offload.command -> channels.offload.process")
            assert views.terminate() == 0, views.output
            assert offloader.terminate() == 0, offloader.output
        finally:
            layer.flush()
            layer.close()
