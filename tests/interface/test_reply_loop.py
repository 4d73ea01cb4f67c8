"""The reply side of one interface process: a single blocking receive serves every socket,
and a group broadcast reaches every member.

How the blocking receives are counted: daphne's layer names all its Redis connections
(``client_name``, sent as ``CLIENT SETNAME`` when a connection opens; see
``tests/interface/app.py``), so ``CLIENT LIST`` tells that process's connections apart from
the test's and from anything else on the server. Redis reports each connection's last
command as ``cmd``: every connection of the process that has ever issued a blocking pop shows
``cmd=blmpop`` (``blpop`` before Redis 7) (a connection that pops stays a popping
connection), and one that is waiting
in a pop right now also has the ``b`` (blocked) flag. With 50 sockets open there must be
exactly one such connection, and it must be the one that is blocked.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
import redis
from websockets.asyncio.client import ClientConnection, connect

from channels.layers.redis import RedisChannelLayer
from tests.interface.conftest import StartBridge, next_message

pytestmark = pytest.mark.redis

SOCKETS = 50
CLIENT_DEADLINE = 15.0
#: How long the process's blocking pop may take to show up in ``CLIENT LIST``.
POP_DEADLINE = 10.0


def popping_connections(client: redis.Redis, name: str) -> list[dict[str, Any]]:
    """The connections named ``name`` whose last command was a blocking pop."""
    return [
        entry
        for entry in client.client_list()
        if entry.get("name") == name and entry.get("cmd") in ("blpop", "blmpop")
    ]


async def test_fifty_sockets_share_one_blocking_receive_and_all_get_a_group_broadcast(
    start_bridge: StartBridge, worker: RedisChannelLayer, redis_client: redis.Redis
) -> None:
    name = f"bridge-{uuid.uuid4().hex[:12]}"
    server = start_bridge(client_name=name)
    url = f"{server.ws_url}/live"
    opening = [
        asyncio.ensure_future(
            connect(url, open_timeout=CLIENT_DEADLINE, close_timeout=CLIENT_DEADLINE)
        )
        for _ in range(SOCKETS)
    ]
    try:
        reply_channels = set()
        for _ in range(SOCKETS):
            message = await next_message(worker, "websocket.connect")
            reply_channels.add(message["reply_channel"])
            await worker.agroup_add("everyone", message["reply_channel"])
            await worker.asend(message["reply_channel"], {"accept": True})
        done, _ = await asyncio.wait(opening, timeout=CLIENT_DEADLINE)
        sockets = [task.result() for task in done]
        assert len(sockets) == SOCKETS, f"only {len(sockets)} of {SOCKETS} sockets opened"
        assert len(reply_channels) == SOCKETS
        prefixes = {channel.split("!")[0] for channel in reply_channels}
        assert len(prefixes) == 1, f"one process should use one reply prefix, got {prefixes}"

        # Wait until the process's pop is blocked on the server, then count.
        deadline = time.monotonic() + POP_DEADLINE
        popping = popping_connections(redis_client, name)
        while not any("b" in entry["flags"] for entry in popping):
            if time.monotonic() > deadline:
                pytest.fail(f"no blocked BLPOP from the daphne process within {POP_DEADLINE} s")
            await asyncio.sleep(0.05)  # polling an outside observer: nothing to wait on
            popping = popping_connections(redis_client, name)
        assert len(popping) == 1, f"{len(popping)} connections of the process pop: {popping}"
        assert "b" in popping[0]["flags"]

        await worker.asend_group("everyone", {"text": "to everyone"})
        received = await asyncio.wait_for(
            asyncio.gather(*(socket.recv() for socket in sockets)), CLIENT_DEADLINE
        )
        assert received == ["to everyone"] * SOCKETS
        # Still exactly one popping connection after the broadcast went through it.
        assert len(popping_connections(redis_client, name)) == 1
    finally:
        for task in opening:
            task.cancel()
        results = await asyncio.gather(*opening, return_exceptions=True)
        opened = [result for result in results if isinstance(result, ClientConnection)]
        await asyncio.wait_for(
            asyncio.gather(*(socket.close() for socket in opened), return_exceptions=True),
            CLIENT_DEADLINE,
        )
