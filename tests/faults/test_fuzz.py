"""A bounded fuzz: random HTTP requests, random WebSocket frames and malformed layer messages
against one deployment, after which every process is alive and a normal request succeeds."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from channels.layers.redis import RedisChannelLayer

from .conftest import PREFIX, FaultSite

ROUNDS = 150
SEED = 20261207
PATHS = ["/hello/", "/effect/", "/slow/?seconds=0.01", "/nowhere/", "/", "/%ff/", "/a" * 300]
SOCKET_PATHS = ["/echo/", "/room/fuzz/", "/chat/", "/reject/", "/nowhere/", "/late/?0"]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "BREW"]


def junk(rng: random.Random, size: int) -> bytes:
    return bytes(rng.getrandbits(8) for _ in range(size))


async def fuzz_http(rng: random.Random, client: httpx.AsyncClient) -> None:
    headers = {
        f"x-{rng.randrange(100)}": rng.choice([b"", b"a" * rng.randrange(2000), "é".encode()])
    }
    if rng.random() < 0.3:
        headers["content-type"] = rng.choice(["multipart/form-data", "application/json", "x"])
    body = junk(rng, rng.choice([0, 10, 1000, 300_000]))
    with contextlib.suppress(httpx.HTTPError):
        response = await client.request(
            rng.choice(METHODS), rng.choice(PATHS), headers=headers, content=body
        )
        assert response.status_code < 600


async def fuzz_socket(rng: random.Random, base: str) -> None:
    with contextlib.suppress(WebSocketException, OSError, asyncio.TimeoutError):
        async with connect(base + rng.choice(SOCKET_PATHS), open_timeout=10) as socket:
            for _ in range(rng.randrange(1, 5)):
                if rng.random() < 0.5:
                    await socket.send(junk(rng, rng.randrange(0, 5000)))
                else:
                    await socket.send("".join(chr(rng.randrange(32, 0x2FF)) for _ in range(50)))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(socket.recv(), 0.2)


async def fuzz_layer(rng: random.Random, layer: RedisChannelLayer) -> None:
    """Messages a broken interface server could send: missing and mistyped keys."""
    channel = rng.choice(["http.request", "websocket.connect", "websocket.receive"])
    message = rng.choice(
        [
            {},
            {"reply_channel": "fuzz.reply!x"},
            {"reply_channel": "fuzz.reply!x", "path": 5, "method": None, "headers": "no"},
            {"reply_channel": "fuzz.reply!x", "path": "/", "order": "first", "text": b"x"},
            {"reply_channel": 12, "body": [1, 2]},
        ]
    )
    await layer.asend(channel, message)


async def test_random_traffic_leaves_every_process_alive_and_serving(
    fault_site: Callable[..., FaultSite],
) -> None:
    site = fault_site(workers=2, settings={"CHANNELS_HTTP_TIMEOUT": 2})
    rng = random.Random(SEED)
    layer = RedisChannelLayer(hosts=[site.redis.url], prefix=PREFIX)
    try:
        async with httpx.AsyncClient(base_url=site.http, timeout=10) as client:
            for _ in range(ROUNDS):
                kind = rng.random()
                if kind < 0.5:
                    await fuzz_http(rng, client)
                elif kind < 0.85:
                    await fuzz_socket(rng, site.ws)
                else:
                    await fuzz_layer(rng, layer)
            assert [p.name for p in site.processes if p.process.poll() is not None] == []
            response = await client.get("/hello/")
            assert (response.status_code, response.text) == (200, "hello")
    finally:
        await layer.aclose()
