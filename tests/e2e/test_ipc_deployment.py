"""The seeds' deployment on the single-machine IPC layer: ``daphne tests.project.asgi:
channel_layer`` plus two ``runworker`` processes sharing one store, no Redis. HTTP views,
WebSocket echo, a chat group and a background task, and a worker SIGKILLed and restarted."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from channels.layers.ipc import IPCChannelLayer

from .conftest import ServerProcess, Site, project_env, start_daphne, start_worker

DEADLINE = 10.0


def ipc_env(tmp_dir: Path, prefix: str) -> dict[str, str]:
    """:func:`project_env` on the IPC layer's store ``prefix``."""
    return project_env(tmp_dir, CHANNELS_TEST_LAYER="ipc", CHANNELS_TEST_IPC_PREFIX=prefix)


class IPCSite(Site):
    """A daphne + workers deployment on an IPC store; ``layer`` reaches the same store."""

    env: dict[str, str]
    layer: IPCChannelLayer

    def start_worker(self) -> ServerProcess:
        worker = start_worker(self.env, f"runworker-{len(self.processes)}")
        self.processes.append(worker)
        return worker


@contextlib.contextmanager
def ipc_site(tmp_dir: Path) -> Iterator[IPCSite]:
    prefix = f"test-e2e-{uuid.uuid4().hex}"
    env = ipc_env(tmp_dir, prefix)
    processes: list[ServerProcess] = []
    layer = IPCChannelLayer(prefix)
    try:
        daphne, port = start_daphne(env)
        processes.append(daphne)
        site = IPCSite("ipc", port, processes)
        site.env, site.layer = env, layer
        for _ in range(2):
            site.start_worker()
        yield site
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes[1:]:
            if process.process.returncode is None:
                assert process.wait() in (0, -signal.SIGKILL), process.output(80)
        daphne.wait()
    finally:
        for process in processes:
            process.cleanup()
        layer.flush()
        layer.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IPCSite]:
    """One deployment for the module's tests that leave it as they found it."""
    with ipc_site(tmp_path_factory.mktemp("ipc-site")) as made:
        yield made


def open_socket(site: Site, path: str) -> Any:
    return connect(site.ws + path, open_timeout=DEADLINE, close_timeout=DEADLINE)


async def next_frame(socket: ClientConnection) -> str | bytes:
    return await asyncio.wait_for(socket.recv(), DEADLINE)


async def test_views_are_served_by_both_workers(site: IPCSite) -> None:
    async with httpx.AsyncClient(base_url=site.http, timeout=DEADLINE) as client:
        page = await client.get("/page/", params={"name": "ipc"})
        assert page.status_code == 200 and "ipc" in page.text
        workers = {str(process.pid) for process in site.processes[1:]}
        answered: set[str] = set()
        for _ in range(200):
            answered.add((await client.get("/pid/")).text)
            if answered == workers:
                break
        assert answered == workers


async def test_websocket_echo(site: IPCSite) -> None:
    async with open_socket(site, "/echo/") as socket:
        await socket.send("hello over ipc")
        assert await next_frame(socket) == "hello over ipc"
        await socket.send(b"\x00bytes\xff")
        assert await next_frame(socket) == b"\x00bytes\xff"


async def test_the_chat_group_reaches_every_socket(site: IPCSite) -> None:
    room = uuid.uuid4().hex[:8]
    async with (
        open_socket(site, f"/room/{room}/") as alice,
        open_socket(site, f"/room/{room}/") as bob,
        open_socket(site, f"/room/{room}/") as carol,
    ):
        await alice.send("hello room")
        for socket in (alice, bob, carol):
            assert await next_frame(socket) == "[user] hello room"
        assert len(await site.layer.agroup_channels(f"room-{room}")) == 3


async def test_a_background_task_runs_on_a_worker(site: IPCSite) -> None:
    notify = site.layer.new_channel("e2e.notify?")
    await site.layer.asend("a_task_channel", {"value": 7, "notify": notify})
    channel, message = await site.layer.areceive([notify], block=True, timeout=DEADLINE)
    assert channel == notify
    assert message["value"] == 7
    assert str(message["pid"]) in {str(process.pid) for process in site.processes[1:]}


async def test_a_worker_sigkilled_and_restarted_leaves_the_site_working(tmp_path: Path) -> None:
    with ipc_site(tmp_path) as site:
        first, second = site.processes[1:]
        async with httpx.AsyncClient(base_url=site.http, timeout=30) as client:
            assert (await client.get("/pid/")).status_code == 200
            first.process.kill()
            await asyncio.to_thread(first.process.wait, 10)
            # At most once: a request the dead worker had taken may be lost (a 503 after the
            # HTTP timeout); the survivor serves everything after it.
            statuses = [(await client.get("/pid/")).status_code for _ in range(20)]
            assert statuses.count(200) >= 19, statuses
            replacement = await asyncio.to_thread(site.start_worker)
            second.process.kill()
            await asyncio.to_thread(second.process.wait, 10)
            for _ in range(20):
                response = await client.get("/pid/")
                assert response.status_code == 200
                assert response.text == str(replacement.pid)
        async with open_socket(site, "/echo/") as socket:
            await socket.send("after the kills")
            assert await next_frame(socket) == "after the kills"
