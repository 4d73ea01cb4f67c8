"""The async consumer behind :func:`channels.offload.fetch`: fetch a URL, relay the response.

Runs on a worker's event loop (routed by :data:`channels.offload.routing.routes`), so one
worker process has thousands of these waiting on slow upstreams at once while its sync
threads serve views. The response is relayed as it arrives: the first reply carries status,
headers and the first body chunk; each chunk read from the upstream becomes one reply.
When the upstream sent ``Content-Length``, the last chunk is marked as last; otherwise an
empty reply ends the body.

Errors before the response started: cannot connect or the connection broke (502), time
ran out (504), a malformed offload message (500); each with a plain-text body. Once the
body is streaming the status cannot change any more: a failure then ends the body short
(a ``Content-Length`` the client can check) and is logged.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit

from .fetch import fetch_payload
from .headers import drop_hop_by_hop
from .http_client import get_client, require_httpx
from .replies import asend_reply, plain_reply

logger = logging.getLogger("channels.offload")


def origin(url: str) -> str:
    """``scheme://host:port`` of a URL: enough to say which upstream failed, without the
    path or query string (which may carry tokens) reaching the browser or the log."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def _expected_length(method: str, status: int, headers: list[list[bytes]]) -> int | None:
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return 0
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def fetch_consumer(message: Any, **kwargs: Any) -> None:
    """Consumer of ``channels.offload.fetch``: see the module docstring."""
    httpx = require_httpx()
    content = message.content
    try:
        payload = fetch_payload(
            content["url"],
            content.get("method", "GET"),
            content.get("headers"),
            content.get("body"),
            content.get("timeout", 30.0),
            content.get("follow_redirects", False),
        )
    except (KeyError, TypeError, ValueError) as exc:
        logger.error("bad channels.offload.fetch message %r: %s", sorted(content), exc)
        await asend_reply(message, plain_reply(500, "Internal Server Error: bad fetch request."))
        return
    url, method, timeout = payload["url"], payload["method"], payload["timeout"]
    where = origin(url)
    client = get_client()
    try:
        request = client.build_request(
            method,
            url,
            headers=payload["headers"],
            content=payload["body"] or None,
            timeout=httpx.Timeout(timeout),
        )
        # httpx bounds each phase; this bounds the whole wait for the response headers.
        response = await asyncio.wait_for(
            client.send(request, stream=True, follow_redirects=payload["follow_redirects"]),
            timeout,
        )
    except (httpx.TimeoutException, asyncio.TimeoutError):
        logger.warning("fetch %s %s: no response within %s s", method, where, timeout)
        await asend_reply(
            message,
            plain_reply(
                504,
                f"Gateway Timeout: the upstream server {where} did not answer within "
                f"{timeout:g} seconds.",
            ),
        )
        return
    except httpx.HTTPError as exc:
        logger.warning("fetch %s %s failed: %s: %s", method, where, type(exc).__name__, exc)
        await asend_reply(
            message,
            plain_reply(
                502,
                f"Bad Gateway: could not get a response from the upstream server {where} "
                f"({type(exc).__name__}).",
            ),
        )
        return
    try:
        await _relay(message, response, method, where)
    finally:
        await response.aclose()


async def _relay(message: Any, response: Any, method: str, where: str) -> None:
    httpx = require_httpx()
    headers = drop_hop_by_hop(response.headers.raw)
    first: dict[str, Any] = {"status": response.status_code, "headers": headers}
    expected = _expected_length(method, response.status_code, headers)
    if expected == 0:
        await asend_reply(message, {**first, "content": b"", "more_content": False})
        return
    received = 0
    ended = False
    try:
        # Read to the end even after the last announced byte: a response read to its end
        # gives its connection back to the pool for the next fetch; one cut short closes it.
        async for chunk in response.aiter_raw():
            if not chunk or ended:
                continue
            received += len(chunk)
            ended = expected is not None and received >= expected
            if not await asend_reply(
                message, {**first, "content": chunk, "more_content": not ended}
            ):
                return
            first = {}
        if ended:
            return
    except httpx.HTTPError as exc:
        # Headers went out already: all that is left is to end the body early.
        logger.warning(
            "fetch %s %s broke off after %d bytes: %s: %s",
            method,
            where,
            received,
            type(exc).__name__,
            exc,
        )
    await asend_reply(message, {**first, "content": b"", "more_content": False})


__all__ = ["fetch_consumer", "origin"]
