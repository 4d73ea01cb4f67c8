"""WebSockets through a real socket, on both deployments: runserver (in-memory layer) and
daphne + two runworker processes (Redis). The client is the ``websockets`` library."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK, InvalidStatus

from .conftest import Site

#: Deadline for any one frame, handshake or close.
DEADLINE = 10.0


def open_socket(site: Site, path: str) -> Any:
    return connect(site.ws + path, open_timeout=DEADLINE, close_timeout=DEADLINE)


async def next_frame(socket: ClientConnection) -> str | bytes:
    return await asyncio.wait_for(socket.recv(), DEADLINE)


async def wait_for_group_size(site: Site, group: str, size: int) -> None:
    """On the Redis deployment, wait until ``group`` has ``size`` members (read from Redis)."""
    from channels.layers.redis import RedisChannelLayer

    assert site.prefix is not None
    layer = RedisChannelLayer(hosts=[site.redis_url], prefix=site.prefix)
    try:
        deadline = time.monotonic() + DEADLINE
        while True:
            members = await layer.agroup_channels(group)
            if len(members) == size:
                return
            assert time.monotonic() < deadline, f"group {group!r} still has {members!r}"
            # Membership changes in another process; there is nothing to wait on but Redis.
            await asyncio.sleep(0.05)
    finally:
        await layer.aclose()


async def test_echo_returns_text_and_bytes_frames_unchanged(site: Site) -> None:
    async with open_socket(site, "/echo/") as socket:
        await socket.send("hello world")
        assert await next_frame(socket) == "hello world"
        await socket.send("ünïcödé ✓")
        assert await next_frame(socket) == "ünïcödé ✓"
        await socket.send(b"\x00\x01binary\xff")
        assert await next_frame(socket) == b"\x00\x01binary\xff"
        # A burst: each frame is one message, and several workers (or worker threads) may
        # run them at once, so replies can overtake each other (ordering per socket is what
        # enforce_ordering is for). None may be lost or doubled.
        for number in range(20):
            await socket.send(f"message {number}")
        replies = [await next_frame(socket) for _ in range(20)]
        assert sorted(replies) == sorted(f"message {number}" for number in range(20))


async def test_the_seeds_chat_reaches_all_three_clients_and_not_a_disconnected_one(
    site: Site,
) -> None:
    async with (
        open_socket(site, "/chat/") as alice,
        open_socket(site, "/chat/") as bob,
        open_socket(site, "/chat/") as carol,
    ):
        # Each connect consumer adds the socket to the group before its accept goes out.
        await alice.send("hello from alice")
        for socket in (alice, bob, carol):
            assert await next_frame(socket) == "[user] hello from alice"
        await carol.send("hello from carol")
        for socket in (alice, bob, carol):
            assert await next_frame(socket) == "[user] hello from carol"

        await carol.close()
        if site.prefix is not None:
            # ws_disconnect discarded carol: two members left (visible in Redis).
            await wait_for_group_size(site, "chat", 2)
        await bob.send("carol has left")
        for socket in (alice, bob):
            assert await next_frame(socket) == "[user] carol has left"
        with pytest.raises(ConnectionClosedOK):
            await asyncio.wait_for(carol.recv(), DEADLINE)
        # Exactly one copy each: the next frame is the next message.
        await alice.send("last one")
        for socket in (alice, bob):
            assert await next_frame(socket) == "[user] last one"


async def test_a_connect_consumer_that_rejects_gives_the_client_http_403(site: Site) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with open_socket(site, "/reject/"):
            pass
    assert refused.value.response.status_code == 403
    # The server goes on accepting other sockets.
    async with open_socket(site, "/echo/") as socket:
        await socket.send("still here")
        assert await next_frame(socket) == "still here"


async def test_the_server_closes_a_socket_with_the_code_its_consumer_chose(site: Site) -> None:
    room = uuid.uuid4().hex
    async with open_socket(site, f"/watch/{room}/") as watcher:
        async with open_socket(site, f"/close/{room}/") as socket:
            await socket.send("ping")
            assert await next_frame(socket) == "ping"
            await socket.send("close 4123")
            with pytest.raises(ConnectionClosed):
                await next_frame(socket)
            assert socket.close_code == 4123
        # The disconnect consumer sees the code the socket closed with.
        assert await next_frame(watcher) == "closed 4123"


async def test_the_code_a_client_closes_with_reaches_the_disconnect_consumer(
    site: Site,
) -> None:
    room = uuid.uuid4().hex
    async with open_socket(site, f"/watch/{room}/") as watcher:
        socket = await open_socket(site, f"/close/{room}/")
        await socket.send("ping")
        assert await next_frame(socket) == "ping"
        await socket.close(code=4321, reason="done here")
        assert socket.protocol.close_sent is not None
        assert socket.protocol.close_sent.code == 4321
        assert await next_frame(watcher) == "closed 4321"
        # A plain close is 1000.
        async with open_socket(site, f"/close/{room}/") as plain:
            await plain.send("ping")
            assert await next_frame(plain) == "ping"
        assert await next_frame(watcher) == "closed 1000"
