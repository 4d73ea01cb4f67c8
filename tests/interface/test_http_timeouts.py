"""The HTTP timeout through a real daphne: one shared line of deadlines serves every request
of the process, a streamed response's timeout starts over with each chunk, and a stalled
stream is closed."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from channels.layers.redis import RedisChannelLayer
from tests.interface.conftest import StartBridge, next_message
from tests.interface.test_http import CLIENT_DEADLINE, client, within

pytestmark = pytest.mark.redis

#: The bridge's HTTP timeout in these tests (seconds).
TIMEOUT = 1.0


async def read_stream(http: httpx.AsyncClient, path: str, first: asyncio.Event) -> bytes:
    """The whole body of a streamed GET; ``first`` is set once its first bytes arrived."""
    async with http.stream("GET", path) as response:
        assert response.status_code == 200
        body = bytearray()
        async for chunk in response.aiter_raw():
            body += chunk
            first.set()
        return bytes(body)


async def test_each_streamed_chunk_starts_the_http_timeout_over(
    start_bridge: StartBridge, worker: RedisChannelLayer
) -> None:
    server = start_bridge(http_timeout=TIMEOUT)
    first = asyncio.Event()
    async with client(server.url) as http:
        reading = asyncio.ensure_future(read_stream(http, "/slow-stream", first))
        message = await next_message(worker, "http.request")
        reply_channel = message["reply_channel"]
        await worker.asend(reply_channel, {"status": 200, "content": b"0;", "more_content": True})
        await asyncio.wait_for(first.wait(), CLIENT_DEADLINE)
        # Three more chunks, each well inside the timeout, the whole well past it.
        for number in range(1, 4):
            await asyncio.sleep(TIMEOUT * 0.6)  # the worker's pace is what is tested
            await worker.asend(reply_channel, {"content": b"%d;" % number, "more_content": True})
        await worker.asend(reply_channel, {"content": b"end", "more_content": False})
        body = await within(reading)
    assert body == b"0;1;2;3;end"


async def test_a_stalled_stream_is_closed_after_the_http_timeout(
    start_bridge: StartBridge, worker: RedisChannelLayer
) -> None:
    server = start_bridge(http_timeout=TIMEOUT)
    first = asyncio.Event()
    async with client(server.url) as http:
        reading = asyncio.ensure_future(read_stream(http, "/stalled", first))
        message = await next_message(worker, "http.request")
        await worker.asend(
            message["reply_channel"], {"status": 200, "content": b"part;", "more_content": True}
        )
        await asyncio.wait_for(first.wait(), CLIENT_DEADLINE)
        started = time.monotonic()
        body = await within(reading)
        elapsed = time.monotonic() - started
    assert body == b"part;"
    assert TIMEOUT * 0.9 <= elapsed < 10, f"closed after {elapsed:.1f} s, expected about 1 s"


async def test_many_waiting_requests_each_get_their_503_at_the_timeout(
    start_bridge: StartBridge, worker: RedisChannelLayer
) -> None:
    server = start_bridge(http_timeout=TIMEOUT)
    async with client(server.url) as http:

        async def timed(path: str) -> tuple[int, float]:
            started = time.monotonic()
            response = await http.get(path)
            return response.status_code, time.monotonic() - started

        waiting = [asyncio.ensure_future(timed(f"/wait/{number}")) for number in range(20)]
        # One of them is answered in time: its deadline must not touch the others.
        message = await next_message(worker, "http.request")
        await worker.asend(message["reply_channel"], {"status": 200, "content": b"ok"})
        results = await within(asyncio.gather(*waiting))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [503] * 19
    for status, elapsed in results:
        if status == 503:
            assert TIMEOUT * 0.9 <= elapsed < 10, f"503 after {elapsed:.1f} s"
