"""The seeds' deployment under stress: daphne plus runworker processes on Redis, with workers
killed, restarted or missing, a full ``http.request`` channel, a request body over the size
limit, ``runserver --noworker`` with a separate worker, and a 500-socket broadcast."""

from __future__ import annotations

import asyncio
import contextlib
import resource
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from channels.layers.redis import RedisChannelLayer
from tests.conftest import delete_keys_under

from .conftest import (
    RUNSERVER_BANNER,
    START_TIMEOUT,
    Deployment,
    ServerProcess,
    Site,
    redis_env,
    start_worker,
)

pytestmark = pytest.mark.redis

DEADLINE = 10.0
FORM = {"content-type": "application/x-www-form-urlencoded"}


def open_socket(url: str) -> Any:
    return connect(url, open_timeout=DEADLINE, close_timeout=DEADLINE)


async def next_frame(socket: ClientConnection, timeout: float = DEADLINE) -> str | bytes:
    return await asyncio.wait_for(socket.recv(), timeout)


async def test_killing_one_worker_mid_run_leaves_the_other_serving(
    deployment: Callable[..., Deployment],
) -> None:
    site = deployment(workers=2, settings={"CHANNELS_HTTP_TIMEOUT": 3})
    first, second = site.workers
    answered: list[tuple[float, int, str]] = []  # (sent at, status, pid that answered)
    killed_at: float | None = None
    after_kill = asyncio.Event()
    both_served = asyncio.Event()

    async def keep_requesting(client: httpx.AsyncClient) -> None:
        # One request after another, as a steady visitor, until 20 have been sent after the kill.
        while True:
            sent = time.monotonic()
            response = await client.get("/pid/")
            answered.append((sent, response.status_code, response.text))
            if {str(first.pid), str(second.pid)} <= {text for _, _, text in answered}:
                both_served.set()
            if killed_at is not None and sum(1 for s, _, _ in answered if s > killed_at) >= 20:
                after_kill.set()
                return

    async with httpx.AsyncClient(base_url=site.http, timeout=30) as client:
        traffic = asyncio.create_task(keep_requesting(client))
        try:
            # Both workers take requests from the shared http.request channel.
            await asyncio.wait_for(both_served.wait(), 20)
            first.process.kill()
            # Once it has exited, its connections to Redis are closed.
            await asyncio.to_thread(first.process.wait, 10)
            killed_at = time.monotonic()
            await asyncio.wait_for(after_kill.wait(), 30)
        finally:
            traffic.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await traffic
        # WebSockets are served by the survivor too.
        async with open_socket(site.ws + "/echo/") as socket:
            await socket.send("after the kill")
            assert await next_frame(socket) == "after the kill"

    later = [(status, pid) for sent, status, pid in answered if sent > killed_at]
    assert later == [(200, str(second.pid))] * len(later), later
    # A request the killed worker had taken may be lost (at-most-once): at worst a 503 after
    # the HTTP timeout. Nothing else may fail.
    earlier = [status for sent, status, _ in answered if sent <= killed_at]
    assert earlier.count(200) >= len(earlier) - 1, earlier
    assert second.process.poll() is None


async def test_restarting_both_workers_drops_none_of_twenty_open_websockets(
    deployment: Callable[..., Deployment],
) -> None:
    site = deployment(workers=2)
    sockets = [await open_socket(site.ws + "/echo/") for _ in range(20)]
    try:

        async def round_trip(word: str) -> None:
            for number, socket in enumerate(sockets):
                await socket.send(f"{word} {number}")
            replies = await asyncio.gather(*(next_frame(socket, 20) for socket in sockets))
            assert replies == [f"{word} {number}" for number in range(20)]

        await round_trip("before")
        # Stop both: they finish what they have and exit cleanly.
        old = list(site.workers)
        for worker in old:
            worker.send_signal(signal.SIGTERM)
        for worker in old:
            assert await asyncio.to_thread(worker.wait) == 0, worker.output()
        site.workers.clear()
        # With no worker at all, frames wait in Redis; the sockets stay open in daphne.
        for number, socket in enumerate(sockets):
            await socket.send(f"meanwhile {number}")
        await asyncio.to_thread(site.start_worker)
        await asyncio.to_thread(site.start_worker)
        replies = await asyncio.gather(*(next_frame(socket, 20) for socket in sockets))
        assert replies == [f"meanwhile {number}" for number in range(20)]
        await round_trip("after")
        assert all(socket.close_code is None for socket in sockets)
    finally:
        await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)


async def test_without_any_worker_requests_get_503_and_sockets_403_after_their_timeouts(
    deployment: Callable[..., Deployment],
) -> None:
    site = deployment(
        workers=0,
        settings={"CHANNELS_HTTP_TIMEOUT": 1, "CHANNELS_WEBSOCKET_CONNECT_TIMEOUT": 1},
    )
    async with httpx.AsyncClient(base_url=site.http, timeout=30) as client:
        started = time.monotonic()
        response = await client.get("/page/")
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert "no worker answered" in response.text
    assert response.headers["retry-after"].isdigit()
    assert 0.9 <= elapsed < 10, f"answered after {elapsed:.2f} s"

    started = time.monotonic()
    with pytest.raises(InvalidStatus) as refused:
        async with open_socket(site.ws + "/echo/"):
            pass
    elapsed = time.monotonic() - started
    assert refused.value.response.status_code == 403
    assert 0.9 <= elapsed < 10, f"refused after {elapsed:.2f} s"


async def test_a_request_body_over_the_size_limit_is_refused_with_413(
    deployment: Callable[..., Deployment],
) -> None:
    limit = 1024 * 1024
    site = deployment(workers=1, settings={"CHANNELS_MAX_REQUEST_BODY_SIZE": limit})

    async def chunked(size: int) -> AsyncIterator[bytes]:
        # No Content-Length: the limit has to be enforced while the body streams in.
        for _ in range(size // 65536):
            yield b"x" * 65536

    async with httpx.AsyncClient(base_url=site.http, timeout=30) as client:
        allowed = await client.post("/form/", content=b"name=small", headers=FORM)
        assert allowed.status_code == 200
        assert allowed.json()["fields"] == {"name": ["small"]}
        declared = await client.post("/form/", content=b"x" * (limit + 1), headers=FORM)
        assert declared.status_code == 413
        assert str(limit) in declared.text
        streamed = await client.post("/form/", content=chunked(3 * limit), headers=FORM)
        assert streamed.status_code == 413
        # Just under the limit, streamed on a body channel (over the inline size), is fine.
        under = await client.post("/upload/", files={"file": ("f.bin", b"y" * (limit - 1024))})
        assert under.status_code == 200, under.text[:300]
        assert under.json()["files"]["file"]["size"] == limit - 1024


async def test_a_full_http_request_channel_answers_503_at_once_with_retry_after(
    deployment: Callable[..., Deployment], redis_url: str
) -> None:
    # A long HTTP timeout, so an answer in well under it can only be the full channel's.
    site = deployment(workers=0, capacity=1, settings={"CHANNELS_HTTP_TIMEOUT": 30})
    layer = RedisChannelLayer(hosts=[redis_url], prefix=site.prefix, capacity=1)
    try:
        # One waiting request fills a channel of capacity 1.
        await layer.asend("http.request", {"reply_channel": "nobody!waiting", "path": "/"})
        started = time.monotonic()
        async with httpx.AsyncClient(base_url=site.http, timeout=30) as client:
            response = await client.get("/page/")
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert response.headers["retry-after"].isdigit()
        assert "busy" in response.text
        assert elapsed < 10, f"answered after {elapsed:.2f} s"
        # Only the message the test put there is waiting.
        _, message = await layer.areceive(["http.request"])
        assert message == {"reply_channel": "nobody!waiting", "path": "/"}
        assert await layer.areceive(["http.request"]) == (None, None)
    finally:
        await layer.aclose()


async def test_runserver_noworker_on_redis_is_served_by_a_separate_runworker(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis
) -> None:
    prefix = f"test:e2e:{uuid.uuid4().hex}:"
    env = redis_env(tmp_path, redis_url, prefix)
    command = [sys.executable, "-m", "django", "runserver", "127.0.0.1:0", "--noreload"]
    server = ServerProcess("runserver", [*command, "--noworker"], env)
    worker = None
    try:
        port = int(server.wait_for(RUNSERVER_BANNER, START_TIMEOUT).group(1))
        assert "RedisChannelLayer" in server.output()
        worker = start_worker(env)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            response = await client.get("/pid/")
        assert response.status_code == 200
        assert response.text == str(worker.pid)
        async with open_socket(f"ws://127.0.0.1:{port}/echo/") as socket:
            await socket.send("via runworker")
            assert await next_frame(socket) == "via runworker"
        assert worker.stop(signal.SIGTERM) == 0, worker.output()
        assert server.stop(signal.SIGINT) == 0, server.output()
    finally:
        server.cleanup()
        if worker is not None:
            worker.cleanup()
        delete_keys_under(redis_client, prefix)


def raise_open_files_limit(needed: int) -> None:
    """Let this process (and the servers it starts later) hold ``needed`` descriptors."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


async def test_a_broadcast_reaches_every_one_of_500_websockets_in_one_group(
    redis_site: Site,
) -> None:
    raise_open_files_limit(4096)
    room = uuid.uuid4().hex
    url = f"{redis_site.ws}/room/{room}/"
    # Handshakes at most 50 at a time, as browsers arriving; all 500 stay open together.
    gate = asyncio.Semaphore(50)

    async def join() -> ClientConnection:
        async with gate:
            return await open_socket(url)  # type: ignore[no-any-return]

    results = await asyncio.gather(*(join() for _ in range(500)), return_exceptions=True)
    sockets = [result for result in results if isinstance(result, ClientConnection)]
    try:
        failures = [result for result in results if not isinstance(result, ClientConnection)]
        assert not failures, f"{len(failures)} handshakes failed, e.g. {failures[:3]!r}"
        # Every connect consumer added its socket before accepting: the group is complete.
        await sockets[0].send("hello, all 500")
        started = time.monotonic()
        replies = await asyncio.gather(
            *(next_frame(socket, 20) for socket in sockets), return_exceptions=True
        )
        elapsed = time.monotonic() - started
        missing = [reply for reply in replies if reply != "[user] hello, all 500"]
        assert not missing, f"{len(missing)} of 500 sockets got no broadcast: {missing[:3]!r}"
        assert elapsed < 20
    finally:
        await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
