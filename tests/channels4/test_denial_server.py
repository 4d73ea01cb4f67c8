"""``deny()`` end to end: real clients (the ``websockets`` library) against ``runserver``,
whose server lists the denial response extension, and against the ``daphne`` command, which
does not (a denial becomes HTTP 403). The project is ``tests.channels4.denial_asgi``: the
Channels 4 consumers in-process and a 1.x ``routing.py`` consumer through workers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.http11 import Response

from tests.channels4.denial_consumers import BODY
from tests.daphne_server import DaphneServer
from tests.processes import ManageProcess, project_env

pytestmark = pytest.mark.redis

RUNSERVER_BANNER = r"Starting Channels development server at http://127\.0\.0\.1:(\d+)/"
SETTINGS = {"ASGI_APPLICATION": "tests.channels4.denial_asgi.application"}
ROUTING = "tests.channels4.denial_asgi.channel_routing"
KINDS = ["async", "sync", "async-json", "json"]
#: Longest a server may take to start, and a handshake to be answered.
START_DEADLINE = 30.0
CLIENT_DEADLINE = 10.0


@pytest.fixture
def env(tmp_path: Path, redis_url: str, redis_prefix: str) -> dict[str, str]:
    return project_env(
        redis_url, redis_prefix, tmp_path / "db.sqlite3", routing=ROUTING, settings=SETTINGS
    )


@pytest.fixture
def processes() -> Iterator[list[ManageProcess]]:
    started: list[ManageProcess] = []
    yield started
    for process in started:
        with process:
            process.terminate()


async def refused(url: str) -> Response:
    """The HTTP response that refused the handshake to ``url``."""
    with pytest.raises(InvalidStatus) as refusal:
        async with connect(url, open_timeout=CLIENT_DEADLINE):
            pass
    return refusal.value.response


async def opens(url: str) -> bool:
    async with connect(url, open_timeout=CLIENT_DEADLINE) as socket:
        return socket.state.name == "OPEN"


async def test_runserver_sends_each_consumers_denial_to_a_real_client(
    env: dict[str, str], processes: list[ManageProcess]
) -> None:
    server = ManageProcess(env, "runserver", "127.0.0.1:0", "--noreload")
    processes.append(server)
    base = f"ws://127.0.0.1:{server.wait_for(RUNSERVER_BANNER, START_DEADLINE)[1]}"
    responses = await asyncio.gather(*(refused(f"{base}/{kind}/") for kind in KINDS))
    for response in responses:
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="chat"'
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert bytes(response.body or b"").decode("utf-8") == BODY
    # close() and DenyConnection still answer 403; so does a 1.x {"accept": False}.
    for path in ["/async/?close", "/sync/?raise", "/old/"]:
        assert (await refused(base + path)).status_code == 403, path
    assert await opens(f"{base}/async/?open")
    server.wait_for_line("WebSocket REJECT /old/", 10)


async def test_under_the_daphne_command_a_denial_falls_back_to_403(
    env: dict[str, str], processes: list[ManageProcess]
) -> None:
    worker = ManageProcess(env, "runworker")
    processes.append(worker)
    worker.wait_for("Running worker against channel layer", START_DEADLINE)
    with DaphneServer(env, "tests.channels4.denial_asgi:application") as daphne:
        for path in ["/async/", "/json/", "/sync/?close", "/old/"]:
            response = await refused(f"{daphne.ws_url}{path}")
            assert response.status_code == 403, path
        assert await opens(f"{daphne.ws_url}/sync/?open")
