"""Fixtures for the offload tests: a real upstream HTTP server, an in-memory layer, and
helpers that play the interface server's side of a reply channel."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from channels.layers.inmemory import InMemoryChannelLayer
from channels.message import Message
from channels.offload.http_client import aclose_client
from tests.deadlines import anext_message

from .upstream import Upstream

#: How long a test waits for any one reply.
REPLY_DEADLINE = 10.0


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    """A running test upstream on 127.0.0.1 (see ``upstream.py``)."""
    with Upstream() as server:
        yield server


@pytest.fixture
async def layer() -> AsyncIterator[InMemoryChannelLayer]:
    """An in-memory layer; the shared httpx client of this test's loop is closed after."""
    channel_layer = InMemoryChannelLayer()
    yield channel_layer
    await aclose_client()
    await channel_layer.aclose()


def handed_over(layer: Any, channel: str, **content: Any) -> tuple[Message, str]:
    """A message as an offloading view sends it to ``channel``, and the process prefix of
    its reply channel (where the test receives the replies)."""
    reply = layer.new_channel("http.response.test!")
    message = Message({**content, "reply_channel": reply}, channel, layer)
    return message, reply[: reply.index("!") + 1]


async def next_reply(layer: Any, reply: str, deadline: float = REPLY_DEADLINE) -> dict[str, Any]:
    """The next reply on ``reply``; fails after ``deadline`` seconds."""
    return await anext_message(layer, reply, deadline)


async def whole_response(
    layer: Any, reply: str, deadline: float = REPLY_DEADLINE
) -> tuple[int, dict[bytes, bytes], bytes, int]:
    """``(status, headers, body, number of reply messages)`` of a whole response."""
    replies = [await next_reply(layer, reply, deadline)]
    while replies[-1].get("more_content"):
        replies.append(await next_reply(layer, reply, deadline))
    first = replies[0]
    headers = {bytes(k).lower(): bytes(v) for k, v in first.get("headers", [])}
    return first["status"], headers, b"".join(r.get("content", b"") for r in replies), len(replies)
