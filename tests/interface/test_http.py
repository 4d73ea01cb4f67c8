"""HTTP through the bridge: a real daphne subprocess, Redis, httpx as the client, and the
test process as the worker (it receives ``http.request`` and answers on the reply channel)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar

import httpx
import pytest

from channels.layers.redis import RedisChannelLayer
from tests.interface.conftest import RECEIVE_DEADLINE, StartBridge, next_message

pytestmark = pytest.mark.redis

#: Longest any client call may take (the slowest case waits for a 1 s HTTP timeout).
CLIENT_DEADLINE = 15.0

T = TypeVar("T")


def client(base_url: str) -> httpx.AsyncClient:
    """An httpx client with a deadline on every call."""
    return httpx.AsyncClient(base_url=base_url, timeout=CLIENT_DEADLINE)


async def within(awaitable: Awaitable[T]) -> T:
    """The client's result, failing the test if it takes longer than ``CLIENT_DEADLINE``."""
    return await asyncio.wait_for(awaitable, CLIENT_DEADLINE)


async def test_get_round_trip_carries_every_http_request_key_and_returns_the_reply(
    start_bridge: StartBridge, worker: RedisChannelLayer
) -> None:
    server = start_bridge()
    async with client(server.url) as http:
        request = asyncio.ensure_future(
            http.get(
                "/caf%C3%A9/x?b=2&a=%20&c",
                headers=[("X-Dup", "one"), ("X-Dup", "two"), ("X-Other", "Mixed Case")],
            )
        )
        message = await next_message(worker, "http.request")
        await worker.asend(
            message["reply_channel"],
            {
                "status": 201,
                "headers": [[b"content-type", b"text/plain"], [b"x-reply", b"yes"]],
                "content": b"made it",
            },
        )
        response = await within(request)

    expected_keys = {
        "reply_channel",
        "http_version",
        "method",
        "scheme",
        "path",
        "query_string",
        "root_path",
        "headers",
        "body",
        "client",
        "server",
    }
    assert expected_keys <= set(message), f"missing keys: {expected_keys - set(message)}"
    assert "body_channel" not in message
    assert isinstance(message["reply_channel"], str) and "!" in message["reply_channel"]
    assert message["http_version"] == "1.1"
    assert message["method"] == "GET"
    assert message["scheme"] == "http"
    assert message["path"] == "/café/x"
    assert message["query_string"] == b"b=2&a=%20&c"
    assert message["root_path"] == ""
    assert message["body"] == b""
    for name, value in message["headers"]:
        assert isinstance(name, bytes) and isinstance(value, bytes), (name, value)
        assert name == name.lower(), name
    headers = [tuple(header) for header in message["headers"]]
    assert [value for name, value in headers if name == b"x-dup"] == [b"one", b"two"]
    assert (b"x-other", b"Mixed Case") in headers
    assert (b"host", f"127.0.0.1:{server.port}".encode()) in headers
    client_host, client_port = message["client"]
    assert client_host == "127.0.0.1" and isinstance(client_port, int) and client_port > 0
    assert message["server"] == ["127.0.0.1", server.port]

    assert response.status_code == 201
    assert response.headers["x-reply"] == "yes"
    assert response.headers["content-type"] == "text/plain"
    assert response.content == b"made it"


async def test_streamed_reply_arrives_complete_with_chunked_transfer_encoding(
    start_bridge: StartBridge, worker: RedisChannelLayer
) -> None:
    server = start_bridge()
    async with client(server.url) as http:

        async def fetch() -> tuple[httpx.Response, bytes]:
            async with http.stream("GET", "/stream") as response:
                first, received = bytearray(), bytearray()
                chunks = response.aiter_raw()
                # The first part must reach the client before the worker sends the rest.
                async for chunk in chunks:
                    first += chunk
                    if len(first) >= len(b"part one;"):
                        break
                first_arrived.set()
                async for chunk in chunks:
                    received += chunk
                return response, bytes(first + received)

        first_arrived = asyncio.Event()
        fetching = asyncio.ensure_future(fetch())
        message = await next_message(worker, "http.request")
        reply_channel = message["reply_channel"]
        await worker.asend(
            reply_channel,
            {
                "status": 200,
                "headers": [[b"content-type", b"text/plain"]],
                "content": b"part one;",
                "more_content": True,
            },
        )
        await asyncio.wait_for(first_arrived.wait(), CLIENT_DEADLINE)
        await worker.asend(reply_channel, {"content": b"part two;", "more_content": True})
        await worker.asend(reply_channel, {"content": b"the end", "more_content": False})
        response, body = await within(fetching)

    assert response.status_code == 200
    assert response.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.headers
    assert body == b"part one;part two;the end"


async def test_five_megabyte_post_arrives_byte_identical_through_body_channel_chunks(
    start_bridge: StartBridge, worker: RedisChannelLayer
) -> None:
    server = start_bridge()
    upload = os.urandom(5 * 1024 * 1024)
    async with client(server.url) as http:
        request = asyncio.ensure_future(http.post("/upload", content=upload))
        message = await next_message(worker, "http.request")
        assert message["method"] == "POST"
        assert "body_channel" in message, "a 5 MB body must be streamed on a body_channel"
        assert len(message["body"]) < worker.max_message_size
        parts, chunk_sizes = [message["body"]], []
        while True:
            chunk = await next_message(worker, message["body_channel"])
            assert not chunk.get("closed"), "the bridge closed a body the client sent whole"
            chunk_sizes.append(len(chunk["content"]))
            parts.append(chunk["content"])
            if not chunk.get("more_content"):
                break
        received = b"".join(parts)
        await worker.asend(
            message["reply_channel"],
            {"status": 200, "content": str(len(received)).encode()},
        )
        response = await within(request)

    assert len(chunk_sizes) > 1
    assert max(chunk_sizes) < worker.max_message_size, chunk_sizes
    assert received == upload
    assert response.status_code == 200
    assert response.text == str(len(upload))


async def test_body_declared_over_max_request_body_size_gets_413(
    start_bridge: StartBridge, worker: RedisChannelLayer
) -> None:
    server = start_bridge(max_request_body_size=1000)
    async with client(server.url) as http:
        response = await within(http.post("/big", content=b"x" * 2000))
    assert response.status_code == 413
    assert "1000" in response.text
    # Refused before anything went onto the layer.
    assert await worker.areceive(["http.request"]) == (None, None)


async def test_chunked_upload_passing_max_request_body_size_mid_stream_gets_413(
    start_bridge: StartBridge, worker: RedisChannelLayer
) -> None:
    # Over the 256 KiB inline size, so the request is already on its way to the worker when
    # the body passes the limit.
    limit = 300_000
    server = start_bridge(max_request_body_size=limit)

    async def pieces() -> AsyncIterator[bytes]:
        for _ in range(16):
            yield b"y" * 65536

    async with client(server.url) as http:
        request = asyncio.ensure_future(http.post("/chunked", content=pieces()))
        message = await next_message(worker, "http.request")
        assert "body_channel" in message
        chunk: dict[str, object] = {}
        received = len(message["body"])
        while not chunk.get("closed"):
            chunk = await next_message(worker, message["body_channel"])
            assert chunk.get("closed") or chunk.get("more_content"), (
                "the body ended normally although it passed the limit"
            )
            received += len(chunk.get("content", b""))  # type: ignore[arg-type]
        response = await within(request)

    assert received <= limit
    assert response.status_code == 413
    assert str(limit) in response.text


async def test_full_http_request_channel_answers_503_at_once_with_retry_after(
    start_bridge: StartBridge, worker: RedisChannelLayer
) -> None:
    server = start_bridge(channel_capacity={"http.request": 1}, http_timeout=30)
    await worker.asend("http.request", {"filler": True})
    async with client(server.url) as http:
        started = time.monotonic()
        response = await within(http.get("/busy"))
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.headers.get("retry-after", "").isdigit(), response.headers
    assert elapsed < 5, f"503 took {elapsed:.1f} s; it must not wait for the HTTP timeout"
    # Only the filler is queued: the refused request never went onto the layer.
    _, filler = await worker.areceive(["http.request"])
    assert filler == {"filler": True}
    assert await worker.areceive(["http.request"]) == (None, None)


async def test_no_worker_answers_503_after_the_http_timeout(start_bridge: StartBridge) -> None:
    server = start_bridge(http_timeout=1)
    async with client(server.url) as http:
        started = time.monotonic()
        response = await within(http.get("/nobody-home"))
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert "no worker answered" in response.text
    assert 0.9 <= elapsed < 10, f"503 after {elapsed:.1f} s, expected about 1 s"


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param({"headers": [], "content": b"no status"}, id="no-status"),
        pytest.param({"status": 200, "content": "str, not bytes"}, id="str-content"),
    ],
)
async def test_malformed_reply_gets_500(
    start_bridge: StartBridge, worker: RedisChannelLayer, reply: dict[str, object]
) -> None:
    server = start_bridge()
    async with client(server.url) as http:
        request = asyncio.ensure_future(http.get("/malformed"))
        message = await next_message(worker, "http.request")
        await worker.asend(message["reply_channel"], reply)
        response = await within(request)
    assert response.status_code == 500
    assert "str, not bytes" not in response.text and "no status" not in response.text


async def test_client_disconnecting_before_the_reply_sends_http_disconnect(
    start_bridge: StartBridge, worker: RedisChannelLayer
) -> None:
    server = start_bridge(http_timeout=30)
    async with client(server.url) as http:
        request = asyncio.ensure_future(http.get("/going-away"))
        message = await next_message(worker, "http.request")
        # Cancelling an in-flight httpx request closes its connection.
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
    gone = await next_message(worker, "http.disconnect", deadline=RECEIVE_DEADLINE)
    assert gone["reply_channel"] == message["reply_channel"]
    assert gone["path"] == "/going-away"
