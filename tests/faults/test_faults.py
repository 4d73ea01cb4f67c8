"""What a client, a consumer and the logs see when something fails underneath the interface
server: Redis restarts, a worker is killed, no worker runs, a client leaves, a handshake is
refused, a path has no route, the password is wrong. Real processes, real sockets, every wait
bounded; each test runs a deployment (redis-server, daphne, runworker) of its own."""

from __future__ import annotations

import asyncio
import contextlib
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from tests.e2e.conftest import redis_env
from tests.layers.redis_servers import RedisServer

from .conftest import PREFIX, FaultSite

DEADLINE = 20.0


def open_socket(url: str) -> Any:
    return connect(url, open_timeout=DEADLINE, close_timeout=DEADLINE)


async def next_frame(socket: ClientConnection, timeout: float = DEADLINE) -> str | bytes:
    return await asyncio.wait_for(socket.recv(), timeout)


async def until(check: Callable[[], Any], timeout: float = DEADLINE, what: str = "") -> float:
    """Poll ``check`` (a cheap local or Redis read) until true; returns the seconds taken."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


def enough_files(count: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count), hard))


async def test_sockets_are_back_in_their_groups_after_a_redis_restart(
    fault_site: Callable[..., FaultSite],
) -> None:
    site = fault_site(workers=2)
    enough_files(4096)
    count = 300
    async with contextlib.AsyncExitStack() as stack:
        sockets = [
            await stack.enter_async_context(open_socket(site.ws + "/room/restart/"))
            for _ in range(count)
        ]
        await until(lambda: len(site.group_members("room-restart")) == count, what="joined")
        site.redis.stop()
        await asyncio.sleep(3)  # the outage: the fault being injected, not a wait for an event
        site.redis.start()  # no persistence: it comes back empty
        assert site.group_members("room-restart") == []
        back = await until(
            lambda: len(site.group_members("room-restart")) == count,
            what="memberships put back",
        )
        print(f"300 sockets back in their group {back:.2f} s after Redis answered again")
        assert site.daphne is not None
        site.daphne.wait_for("put back 300 group memberships", DEADLINE)
        # A broadcast sent now (through a worker) reaches every socket.
        await sockets[0].send("after the restart")
        frames = await asyncio.gather(*(next_frame(s) for s in sockets))
        assert frames == ["[user] after the restart"] * count


async def test_a_killed_workers_request_is_answered_503_within_seconds(
    fault_site: Callable[..., FaultSite],
) -> None:
    site = fault_site(workers=1)
    worker = site.workers[0]
    async with httpx.AsyncClient(base_url=site.http, timeout=DEADLINE * 3) as client:
        request = asyncio.ensure_future(client.get("/slow/?seconds=60"))
        # The worker lists the request it is consuming in its next heartbeat.
        await until(lambda: b"daphne.response" in _heartbeats(site), what="request taken")
        worker.process.kill()
        killed = time.monotonic()
        response = await asyncio.wait_for(request, DEADLINE * 2)
        waited = time.monotonic() - killed
    print(f"503 {waited:.2f} s after the worker was killed")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert "worker handling this request stopped" in response.text
    assert waited < 15  # far below the 60 s HTTP timeout


def _heartbeats(site: FaultSite) -> bytes:
    client = site.redis.client()
    try:
        keys = client.keys(f"{PREFIX}ops:process:*")
        return b"".join(client.get(key) or b"" for key in keys)
    finally:
        client.close()


async def test_with_no_worker_running_a_request_is_answered_503_at_once(
    fault_site: Callable[..., FaultSite],
) -> None:
    site = fault_site(workers=0, settings={"CHANNELS_HTTP_TIMEOUT": 5})
    async with httpx.AsyncClient(base_url=site.http, timeout=DEADLINE) as client:
        # The server gives workers a few heartbeats to appear after it starts; a request
        # meanwhile waits as usual (here for the 5 s timeout).
        first = await client.get("/hello/")
        assert first.status_code == 503
        started = time.monotonic()
        response = await client.get("/hello/")
        took = time.monotonic() - started
    print(f"503 after {took * 1000:.1f} ms with no worker running")
    assert response.status_code == 503, response.text
    assert "no worker is running" in response.text
    assert response.headers["retry-after"] == "5"
    assert took < 1
    # A worker starting makes the server serve again.
    site.start_worker()
    async with httpx.AsyncClient(base_url=site.http, timeout=DEADLINE) as client:
        deadline = time.monotonic() + DEADLINE
        while (response := await client.get("/hello/")).status_code != 200:
            assert time.monotonic() < deadline, response.text
            await asyncio.sleep(0.1)
        assert response.text == "hello"


async def test_a_request_whose_client_left_never_runs(
    fault_site: Callable[..., FaultSite],
) -> None:
    site = fault_site(workers=1, threads=1)  # the slow request keeps the one thread busy
    async with httpx.AsyncClient(base_url=site.http, timeout=DEADLINE) as client:
        busy = asyncio.ensure_future(client.get("/slow/?seconds=2"))
        await until(lambda: b"daphne.response" in _heartbeats(site), what="worker busy")
        with pytest.raises(httpx.ReadTimeout):
            await client.get("/effect/?mark=abandoned", timeout=0.5)
        assert (await busy).text == "slow done"
        # The worker is free again: a later request runs, the abandoned one never did.
        assert (await client.get("/effect/?mark=later")).text == "effect done"
    assert site.effects() == ["later"]
    assert "LOST" not in site.daphne.output()


async def test_a_request_answered_503_by_timeout_never_runs_later(
    fault_site: Callable[..., FaultSite],
) -> None:
    site = fault_site(workers=1, threads=1, settings={"CHANNELS_HTTP_TIMEOUT": 1})
    async with httpx.AsyncClient(base_url=site.http, timeout=DEADLINE) as client:
        busy = asyncio.ensure_future(client.get("/slow/?seconds=3"))
        await until(lambda: b"daphne.response" in _heartbeats(site), what="worker busy")
        late = await client.get("/effect/?mark=late")
        assert late.status_code == 503
        assert (await busy).status_code == 503  # it runs on past the 1 s timeout
        # Once the worker is done with the slow one, a new request runs; the late one never.
        await until(lambda: b"daphne.response" not in _heartbeats(site), what="worker idle")
        assert (await client.get("/effect/?mark=after")).status_code == 200
    assert site.effects() == ["after"]


async def test_http_disconnects_are_consumed_and_nothing_is_logged_as_lost(
    fault_site: Callable[..., FaultSite],
) -> None:
    site = fault_site(workers=1)
    async with httpx.AsyncClient(base_url=site.http) as client:
        # Only the read gives up early: a connect slowed by a loaded machine is not what
        # this test is about (a 0.05 s connect timeout made it flaky).
        leave_early = httpx.Timeout(DEADLINE, read=0.05)
        for _ in range(20):
            with pytest.raises(httpx.ReadTimeout):
                await client.get("/slow/?seconds=0.3", timeout=leave_early)
        await asyncio.sleep(0)  # let the last disconnects go out
        assert (await client.get("/hello/", timeout=DEADLINE)).text == "hello"
    output = site.output()
    assert "LOST" not in output
    assert " ERROR " not in output


async def test_a_refused_handshake_leaves_no_member_behind(
    fault_site: Callable[..., FaultSite],
) -> None:
    site = fault_site(workers=1, settings={"CHANNELS_WEBSOCKET_CONNECT_TIMEOUT": 0.5})
    with pytest.raises(InvalidStatus) as refused:
        async with open_socket(site.ws + "/late/?2"):
            pass
    assert refused.value.response.status_code == 403
    # The consumer added the socket to "late" before it was refused, then answered late:
    # the interface server takes the socket out of the group itself.
    await until(lambda: b"late" not in b"".join(_all_groups(site)), what="member removed")
    assert site.group_members("late") == []


def _all_groups(site: FaultSite) -> list[bytes]:
    client = site.redis.client()
    try:
        return [key for key in client.keys(f"{PREFIX}group:*") if client.hlen(key)]
    finally:
        client.close()


async def test_an_empty_text_frame_accepts_the_handshake(
    fault_site: Callable[..., FaultSite],
) -> None:
    site = fault_site(workers=1)
    # The connect consumer answers {"text": ""}: a valid (empty) frame, which accepts. Daphne
    # itself does not send empty frames, so the client sees the accept only.
    async with open_socket(site.ws + "/empty/"):
        await until(lambda: len(site.group_members("empty")) == 1, what="joined")
    # Closing the socket leaves the group, with no disconnect consumer routed for it.
    await until(lambda: site.group_members("empty") == [], what="left")


async def test_a_socket_to_a_path_no_route_matches_is_refused(
    fault_site: Callable[..., FaultSite],
) -> None:
    site = fault_site(workers=1)
    with pytest.raises(InvalidStatus) as refused:
        async with open_socket(site.ws + "/no/such/socket/"):
            pass
    assert refused.value.response.status_code == 403
    worker = site.workers[0]
    worker.wait_for("no websocket.connect route matches path '/no/such/socket/'", DEADLINE)


def test_a_wrong_redis_password_stops_runworker_at_start(tmp_path: Any) -> None:
    with RedisServer() as server:
        server.client().config_set("requirepass", "right")
        env = redis_env(tmp_path, server.url.replace("redis://", "redis://:wrong@"), PREFIX)
        result = subprocess.run(
            [sys.executable, "-m", "django", "runworker"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert "CHANNEL_LAYERS['default']" in result.stderr
    assert "refused the layer's credentials" in result.stderr
    assert "password" in result.stderr
    assert "Traceback" not in result.stderr


async def test_a_rolling_restart_of_both_workers_loses_no_broadcast(
    fault_site: Callable[..., FaultSite],
) -> None:
    site = fault_site(workers=2)
    enough_files(4096)
    count, said = 300, []
    async with contextlib.AsyncExitStack() as stack:
        sockets = [
            await stack.enter_async_context(open_socket(site.ws + "/room/roll/"))
            for _ in range(count)
        ]
        await until(lambda: len(site.group_members("room-roll")) == count, what="joined")
        speaking = asyncio.Event()

        async def speak() -> None:
            # A steady broadcast: each frame goes through a worker, which sends it to the group.
            number = 0
            while not speaking.is_set():
                said.append(f"{number}")
                await sockets[0].send(f"{number}")
                number += 1
                await asyncio.sleep(0.1)

        speaker = asyncio.ensure_future(speak())
        try:
            for _ in range(2):  # replace the workers one at a time, as a deploy does
                old = site.workers.pop(0)
                await asyncio.to_thread(site.start_worker)
                old.send_signal(signal.SIGTERM)
                assert await asyncio.to_thread(old.wait) == 0, old.output()
        finally:
            speaking.set()
            await speaker

        async def heard(socket: ClientConnection) -> set[str]:
            frames: set[str] = set()
            while len(frames) < len(said):
                frame = await next_frame(socket)
                frames.add(str(frame).removeprefix("[user] "))
            return frames

        everything = await asyncio.gather(*(heard(socket) for socket in sockets))
    print(f"{len(said)} broadcasts to {count} sockets across two worker restarts")
    assert all(frames == set(said) for frames in everything)
