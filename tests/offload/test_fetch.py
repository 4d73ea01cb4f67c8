"""The fetch consumer against a real upstream server, on an in-memory layer, plus the view
side's argument checks."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from typing import Any

import pytest

from channels.offload import FETCH_CHANNEL
from channels.offload.fetch import fetch_payload
from channels.offload.http_client import get_client, require_httpx
from channels.offload.proxy import fetch_consumer

from .conftest import handed_over, next_reply, whole_response
from .upstream import Upstream


def fetch_message(layer: Any, url: str, **options: Any) -> tuple[Any, str]:
    return handed_over(layer, FETCH_CHANNEL, **fetch_payload(url, **options))


async def test_fetch_relays_status_headers_and_body(upstream: Upstream, layer: Any) -> None:
    message, reply = fetch_message(layer, upstream.url("/slow?ms=1"))
    await asyncio.wait_for(fetch_consumer(message), 10)
    status, headers, body, count = await whole_response(layer, reply)
    assert (status, body) == (200, b"slow ok")
    assert headers[b"content-length"] == b"7"
    assert count == 1, "a body with a known length fits in one reply"


async def test_fetch_sends_method_headers_and_body_upstream(upstream: Upstream, layer: Any) -> None:
    message, reply = fetch_message(
        layer,
        upstream.url("/echo?x=1"),
        method="post",
        headers={"X-Token": "abc", "Content-Type": "text/plain", "Connection": "close"},
        body="héllo",
    )
    await asyncio.wait_for(fetch_consumer(message), 10)
    status, headers, body, _ = await whole_response(layer, reply)
    assert status == 200
    assert headers[b"content-type"] == b"application/json"
    seen = json.loads(body)
    assert seen["method"] == "POST"
    assert seen["query"] == "x=1"
    assert seen["body"] == "héllo"
    sent = dict(seen["headers"])
    assert sent["x-token"] == "abc"
    assert sent["accept-encoding"] == "identity"
    assert sent.get("connection") != "close", "hop-by-hop headers are not sent upstream"


async def test_fetch_streams_the_body_as_it_arrives(upstream: Upstream, layer: Any) -> None:
    message, reply = fetch_message(layer, upstream.url("/stream"))
    task = asyncio.ensure_future(fetch_consumer(message))
    try:
        first = await next_reply(layer, reply)
        # The upstream holds the rest back until released: this chunk was streamed.
        assert first["status"] == 200
        assert first["content"] == b"first;"
        assert first["more_content"] is True
        headers = {bytes(k).lower() for k, _ in first["headers"]}
        assert b"transfer-encoding" not in headers
        upstream.release()
        rest = [await next_reply(layer, reply)]
        while rest[-1]["more_content"]:
            rest.append(await next_reply(layer, reply))
        assert b"".join(r["content"] for r in rest) == b"second;last"
        assert all("status" not in r for r in rest)
        await asyncio.wait_for(task, 10)
    finally:
        task.cancel()


async def test_fetch_drops_hop_by_hop_response_headers(upstream: Upstream, layer: Any) -> None:
    message, reply = fetch_message(layer, upstream.url("/hop"))
    await asyncio.wait_for(fetch_consumer(message), 10)
    _, headers, body, _ = await whole_response(layer, reply)
    assert body == b"hop"
    for name in (b"connection", b"keep-alive", b"x-secret-hop", b"proxy-authenticate", b"upgrade"):
        assert name not in headers
    assert headers[b"x-kept"] == b"yes"
    assert headers[b"set-cookie"] == b"a=1"


async def test_fetch_answers_502_when_nothing_listens(layer: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    message, reply = fetch_message(layer, f"http://127.0.0.1:{port}/secret?token=x", timeout=5)
    await asyncio.wait_for(fetch_consumer(message), 10)
    status, headers, body, _ = await whole_response(layer, reply)
    assert status == 502
    assert headers[b"content-type"] == b"text/plain; charset=utf-8"
    assert f"http://127.0.0.1:{port}".encode() in body
    assert b"Bad Gateway" in body
    assert b"token" not in body, "the path and query string may hold secrets"


async def test_fetch_answers_502_when_the_upstream_hangs_up(upstream: Upstream, layer: Any) -> None:
    message, reply = fetch_message(layer, upstream.url("/close"))
    await asyncio.wait_for(fetch_consumer(message), 10)
    status, _, body, _ = await whole_response(layer, reply)
    assert status == 502
    assert b"RemoteProtocolError" in body


async def test_fetch_answers_504_when_the_upstream_is_too_slow(
    upstream: Upstream, layer: Any
) -> None:
    message, reply = fetch_message(layer, upstream.url("/hang"), timeout=0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.wait_for(fetch_consumer(message), 10)
    assert loop.time() - started < 3
    status, _, body, _ = await whole_response(layer, reply)
    assert status == 504
    assert b"did not answer within 0.3 seconds" in body


async def test_fetch_passes_bodyless_statuses_through(upstream: Upstream, layer: Any) -> None:
    message, reply = fetch_message(layer, upstream.url("/status?code=204"))
    await asyncio.wait_for(fetch_consumer(message), 10)
    status, _, body, count = await whole_response(layer, reply)
    assert (status, body, count) == (204, b"", 1)


async def test_fetch_reuses_one_client_per_event_loop(upstream: Upstream, layer: Any) -> None:
    for _ in range(3):
        message, reply = fetch_message(layer, upstream.url("/slow?ms=1"))
        await asyncio.wait_for(fetch_consumer(message), 10)
        await whole_response(layer, reply)
    assert get_client() is get_client()
    assert upstream.requests == 3


async def test_a_bad_fetch_message_gets_a_500(layer: Any) -> None:
    message, reply = handed_over(layer, FETCH_CHANNEL, url="ftp://example.com/")
    await asyncio.wait_for(fetch_consumer(message), 10)
    status, _, body, _ = await whole_response(layer, reply)
    assert status == 500
    assert b"bad fetch request" in body


@pytest.mark.parametrize(
    ("options", "error", "text"),
    [
        ({"url": "/relative"}, ValueError, "absolute http"),
        ({"url": "http://x/", "method": "GET /"}, ValueError, "HTTP method"),
        ({"url": "http://x/", "timeout": 0}, ValueError, "positive"),
        ({"url": "http://x/", "timeout": "5"}, TypeError, "number of seconds"),
        ({"url": "http://x/", "body": 3}, TypeError, "fetch body"),
        ({"url": "http://x/", "headers": "X-A: 1"}, TypeError, "headers must be"),
    ],
)
def test_fetch_rejects_bad_arguments(options: dict[str, Any], error: type, text: str) -> None:
    with pytest.raises(error, match=text):
        fetch_payload(**options)


def test_missing_httpx_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "httpx", None)
    with pytest.raises(ImportError, match=r"pip install 'channels-classic\[offload\]'"):
        require_httpx()
