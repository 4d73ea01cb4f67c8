"""One project, both models: ``ASGI_APPLICATION`` (a ProtocolTypeRouter) and a 1.x
``routing.py`` served to workers, under ``runserver`` and under daphne + runworker + Redis;
``runworker shout`` runs a ChannelNameRouter's consumer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from channels.layers import AsyncChannelLayer
from channels.layers.redis import RedisChannelLayer
from tests.daphne_server import DaphneServer
from tests.processes import ROOT, ManageProcess, migrate, project_env

pytestmark = pytest.mark.redis

RUNSERVER_BANNER = r"Starting Channels development server at http://127\.0\.0\.1:(\d+)/"
SETTINGS = {"ASGI_APPLICATION": "tests.channels4.mixed_asgi.application"}
ROUTING = "tests.channels4.mixed_consumers.channel_routing"
TIMEOUT = 10


@pytest.fixture
def env(tmp_path: Path, redis_url: str, redis_prefix: str) -> dict[str, str]:
    environment = project_env(
        redis_url, redis_prefix, tmp_path / "db.sqlite3", routing=ROUTING, settings=SETTINGS
    )
    migrate(environment)
    return environment


@pytest.fixture
def processes() -> Iterator[list[ManageProcess]]:
    started: list[ManageProcess] = []
    yield started
    for process in started:
        # SIGTERM first (a clean stop), then the context exit releases the pipe.
        with process:
            process.terminate()


async def both_models_talk(base: str) -> None:
    async with (
        connect(f"ws://{base}/new/", open_timeout=TIMEOUT) as new,
        connect(f"ws://{base}/old/", open_timeout=TIMEOUT) as old,
    ):
        await new.send(json.dumps({"n": 1}))
        assert json.loads(await asyncio.wait_for(new.recv(), TIMEOUT)) == {"new": {"n": 1}}
        await old.send("hello")
        assert await asyncio.wait_for(old.recv(), TIMEOUT) == "old:hello"
        # The 1.x consumer (in a worker) reached the Channels 4 group (in the server).
        assert json.loads(await asyncio.wait_for(new.recv(), TIMEOUT)) == {
            "news": "an old socket said hello"
        }
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://{base}/hello/", timeout=TIMEOUT)
        assert response.status_code == 200


async def test_runserver_serves_asgi_application_with_the_1x_routes_behind_it(
    env: dict[str, str], processes: list[ManageProcess]
) -> None:
    server = ManageProcess(env, "runserver", "127.0.0.1:0", "--noreload", "--insecure")
    processes.append(server)
    port = server.wait_for(RUNSERVER_BANNER, 30)[1]
    await both_models_talk(f"127.0.0.1:{port}")
    async with httpx.AsyncClient() as client:
        static = await client.get(f"http://127.0.0.1:{port}/static/e2e/hello.txt", timeout=10)
    assert static.status_code == 200
    assert static.content == (ROOT / "tests/project/static/e2e/hello.txt").read_bytes()
    # One access-log line per connection, in-process or passed to the workers.
    for line in (
        '"GET /hello/ HTTP/1.1" 200',
        "WebSocket CONNECT /new/",
        "WebSocket CONNECT /old/",
    ):
        server.wait_for_line(line, 10)
        assert server.count(line) == 1, server.output


async def test_daphne_and_workers_serve_both_models_and_runworker_runs_named_channels(
    env: dict[str, str],
    processes: list[ManageProcess],
    redis_url: str,
    redis_prefix: str,
) -> None:
    worker = ManageProcess(env, "runworker")
    shouter = ManageProcess(env, "runworker", "shout")
    processes.extend([worker, shouter])
    worker.wait_for("Running worker against channel layer", 30)
    shouter.wait_for(r"Running worker for channels \['shout'\]", 30)
    with DaphneServer(env, "tests.channels4.mixed_asgi:application") as daphne:
        base = f"127.0.0.1:{daphne.port}"
        await both_models_talk(base)
        layer = RedisChannelLayer(hosts=[redis_url], prefix=redis_prefix)
        try:
            async with connect(f"ws://{base}/new/", open_timeout=TIMEOUT) as new:
                # Joined on connect: the echo proves the group_add is done.
                await new.send(json.dumps("ready?"))
                await asyncio.wait_for(new.recv(), TIMEOUT)
                await AsyncChannelLayer(layer).send("shout", {"type": "shout.text", "text": "hi"})
                assert json.loads(await asyncio.wait_for(new.recv(), TIMEOUT)) == {"news": "HI"}
        finally:
            await layer.aclose()
    assert shouter.terminate() == 0, shouter.output
