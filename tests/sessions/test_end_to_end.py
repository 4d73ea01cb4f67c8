"""Sessions, auth, ordering and origin checks as deployed: real daphne, Redis, two
``runworker`` processes, a real HTTP client (httpx) and a real WebSocket client (websockets).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from channels.layers.redis import RedisChannelLayer
from tests.conftest import delete_keys_under
from tests.sessions.consumers import REPORT
from tests.sessions.servers import Site, manage, running_site, site_env

pytestmark = pytest.mark.redis

STEP = 10.0  # seconds any single network wait may take
FRAMES = 200
CREATE_USER = (
    "from django.contrib.auth.models import User; "
    "User.objects.create_user('alice', password='wonderland')"
)


@pytest.fixture(scope="module")
def site(
    redis_url: str, redis_client: redis.Redis, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """One site for the module: migrated file database with user alice, daphne, 2 workers."""
    prefix = f"test:{uuid.uuid4().hex}:"
    db: Path = tmp_path_factory.mktemp("site") / "db.sqlite3"
    env = site_env(
        prefix,
        redis_url,
        db,
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        CHANNELS_WEBSOCKET_CONNECT_TIMEOUT=10,
        # HTTP sessions in the database, socket sessions in Redis: the set-up docs/sessions.rst
        # recommends (a channel session is written for every ordered frame).
        CHANNEL_SESSION_ENGINE="django.contrib.sessions.backends.cache",
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": prefix,
            }
        },
    )
    manage(env, "migrate", "--noinput")
    manage(env, "shell", "-c", CREATE_USER)
    try:
        with running_site(env) as running:
            yield running
    finally:
        delete_keys_under(redis_client, prefix)


@pytest.fixture
async def reports(site: Site, redis_url: str) -> AsyncIterator[RedisChannelLayer]:
    """The test's own connection to the site's layer, to read what consumers report."""
    layer = RedisChannelLayer(hosts=[redis_url], prefix=site.prefix)
    yield layer
    await layer.aclose()


async def next_report(layer: RedisChannelLayer) -> dict[str, Any]:
    channel, message = await layer.areceive([REPORT], block=True, timeout=STEP)
    assert channel is not None, f"no report on {REPORT!r} within {STEP} s"
    return message  # type: ignore[no-any-return]


async def recv(socket: ClientConnection) -> str:
    return str(await asyncio.wait_for(socket.recv(), STEP))


async def login(client: httpx.AsyncClient) -> str:
    response = await client.post("/login/", data={"username": "alice", "password": "wonderland"})
    assert response.status_code == 200, response.text
    return client.cookies["sessionid"]


@pytest.mark.parametrize("path", ["/auth/", "/both/"])
async def test_a_websocket_logged_in_through_a_real_http_login_sees_its_user(
    site: Site, reports: RedisChannelLayer, path: str
) -> None:
    suffix = ":http" if path == "/both/" else ""
    async with httpx.AsyncClient(base_url=site.http_url, timeout=STEP) as client:
        cookie = await login(client)
        assert (await client.get("/whoami/")).text == "alice"
        headers = {"Cookie": f"sessionid={cookie}"}

        # connect, receive and disconnect all see alice.
        async with connect(site.ws_url + path, additional_headers=headers, open_timeout=STEP) as ws:
            assert await recv(ws) == "connect:alice"
            await ws.send("hello")
            assert await recv(ws) == f"receive:alice{suffix}"
        assert await next_report(reports) == {"event": "disconnect", "user": "alice"}

        # Logging out over HTTP is seen by the open socket's next frame.
        async with connect(site.ws_url + path, additional_headers=headers, open_timeout=STEP) as ws:
            assert await recv(ws) == "connect:alice"
            await ws.send("before")
            assert await recv(ws) == f"receive:alice{suffix}"
            response = await client.post("/logout/")
            assert response.status_code == 200
            assert (await client.get("/whoami/")).text == "anonymous"
            await ws.send("after")
            assert (await recv(ws)).startswith("receive:anonymous")
        assert await next_report(reports) == {"event": "disconnect", "user": "anonymous"}


async def test_enforce_ordering_keeps_200_frames_per_socket_in_order_across_two_workers(
    site: Site,
) -> None:
    async def talk(number: int) -> set[str]:
        async with connect(site.ws_url + "/ordered/", open_timeout=STEP) as ws:
            for index in range(FRAMES):
                await ws.send(f"{number}-{index}")
            echoes = [(await recv(ws)).split() for _ in range(FRAMES)]
        assert [text for text, _pid in echoes] == [f"{number}-{i}" for i in range(FRAMES)]
        return {pid for _text, pid in echoes}

    pids = set().union(*await asyncio.gather(*(talk(n) for n in range(3))))
    # Both workers served frames, so the order really was kept across processes.
    assert pids == {str(w.process.pid) for w in site.workers}


async def test_a_cross_origin_handshake_is_refused_before_any_consumer_runs(
    site: Site, reports: RedisChannelLayer
) -> None:
    url = site.ws_url + "/origin/"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, origin="http://evil.example.net", open_timeout=STEP):  # type: ignore[arg-type]
            pass
    assert refused.value.response.status_code == 403

    same_origin = site.http_url
    async with connect(url, origin=same_origin, open_timeout=STEP) as ws:  # type: ignore[arg-type]
        await ws.send("ok")
    # The first connect any consumer saw is the same-origin one: the refused one never ran.
    assert await next_report(reports) == {"event": "connect", "origin": same_origin}

    async with connect(url, open_timeout=STEP) as ws:  # no Origin: not a browser
        await ws.send("ok")
    assert await next_report(reports) == {"event": "connect", "origin": None}

    # The explicit validator is stricter: no Origin is refused too.
    with pytest.raises(InvalidStatus) as strict:
        async with connect(site.ws_url + "/strict-origin/", open_timeout=STEP):
            pass
    assert strict.value.response.status_code == 403
    async with connect(site.ws_url + "/strict-origin/", origin=same_origin, open_timeout=STEP):  # type: ignore[arg-type]
        pass
