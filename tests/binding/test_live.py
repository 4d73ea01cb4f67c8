"""Binding frames reaching a real WebSocket client: ``runserver`` (daphne, the bridge and
worker threads) on Redis and a migrated SQLite file, the model saved by another process
(``manage.py shell``) sharing that file and that Redis prefix."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.processes import ManageProcess, manage, migrate, project_env

from .conftest import APP, ROUTING

pytestmark = pytest.mark.redis

#: How long the client waits for a frame or a handshake.
DEADLINE = 15.0

_STARTED = re.compile(r"Starting Channels development server at http://127\.0\.0\.1:(\d+)/")


class Site:
    """A runserver on its own Redis prefix and database, and ways to change the models."""

    def __init__(self, env: dict[str, str], server: ManageProcess, port: int) -> None:
        self.env = env
        self.server = server
        self.url = f"ws://127.0.0.1:{port}"

    async def shell(self, code: str) -> str:
        """Run ``code`` in ``manage.py shell`` (another process); its last output line."""
        output = await asyncio.to_thread(manage, self.env, "shell", "-v", "0", "-c", code)
        return output.strip().splitlines()[-1] if output.strip() else ""

    def connect(self, path: str) -> Any:
        return connect(self.url + path, open_timeout=DEADLINE, close_timeout=DEADLINE)


@pytest.fixture
def site(redis_url: str, tmp_path: Path) -> Iterator[Site]:
    from channels.layers.redis import RedisChannelLayer

    prefix = f"test:binding:{uuid.uuid4().hex}:"
    env = project_env(
        redis_url, prefix, tmp_path / "binding.sqlite3", extra_apps=[APP], routing=ROUTING
    )
    migrate(env)
    try:
        with ManageProcess(env, "runserver", "127.0.0.1:0", "--noreload") as server:
            line = server.wait_for_line("Starting Channels development server at")
            match = _STARTED.search(line)
            assert match, line
            yield Site(env, server, int(match.group(1)))
            assert server.alive(), server.output
    finally:
        layer = RedisChannelLayer(hosts=[redis_url], prefix=prefix)
        layer.flush()
        layer.close()


async def next_frame(socket: ClientConnection) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), DEADLINE))
    return frame


async def test_a_save_in_another_process_reaches_the_socket(site: Site) -> None:
    async with site.connect("/binding/lobby/") as socket:
        pk = int(
            await site.shell(
                "from tests.binding.testapp.models import Thing\n"
                "print(Thing.objects.create(name='from the shell', count=4).pk)"
            )
        )
        assert await next_frame(socket) == {
            "stream": "things",
            "payload": {
                "action": "create",
                "pk": pk,
                "data": {"name": "from the shell", "room": "lobby", "count": 4},
                "model": "binding_testapp.thing",
            },
        }
        await site.shell(
            "from tests.binding.testapp.models import Thing\n"
            f"thing = Thing.objects.get(pk={pk})\n"
            "thing.room = 'attic'\n"
            "thing.save()\n"
        )
        # The socket watches the lobby: the thing left it.
        left = await next_frame(socket)
        assert (left["stream"], left["payload"]["action"], left["payload"]["pk"]) == (
            "things",
            "delete",
            pk,
        )


async def test_a_frame_from_the_socket_is_applied_and_echoed_to_the_group(site: Site) -> None:
    async with (
        site.connect("/binding/attic/") as socket,
        site.connect("/binding/attic/") as watcher,
    ):
        create = {"action": "create", "data": {"name": "typed", "room": "attic"}}
        await socket.send(json.dumps({"stream": "things", "payload": create}))
        for client in (socket, watcher):
            frame = await next_frame(client)
            assert frame["stream"] == "things"
            assert frame["payload"]["action"] == "create"
            assert frame["payload"]["data"]["name"] == "typed"
        pk = frame["payload"]["pk"]
        # Refused by has_permission: nothing changes, nothing is sent.
        await socket.send(
            json.dumps({"stream": "things", "payload": {"action": "delete", "pk": pk}})
        )
        stored = await site.shell(
            "from tests.binding.testapp.models import Thing\n"
            f"print(Thing.objects.filter(pk={pk}).exists())"
        )
        assert stored.strip() == "True"
