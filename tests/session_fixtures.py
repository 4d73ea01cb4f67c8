"""Shared by the session, auth and origin tests (tests/sessions, tests/auth,
tests/security): a fresh in-memory layer routed to this package's consumers, real Messages
for direct consumer calls, and session engines."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from django.test.utils import override_settings

from channels.asgi import ChannelLayerWrapper, channel_layers
from channels.message import Message
from tests.workers import INMEMORY

ROUTING = "tests.sessions.routing.channel_routing"

_sockets = itertools.count()


@pytest.fixture
def layer() -> Iterator[ChannelLayerWrapper]:
    """The ``default`` layer: a fresh in-memory one routed to tests/sessions/routing.py."""
    config = {"BACKEND": INMEMORY, "ROUTING": ROUTING, "CONFIG": {"capacity": 1000}}
    with override_settings(CHANNEL_LAYERS={"default": config}):
        yield channel_layers["default"]


@pytest.fixture
def cache_sessions() -> Iterator[None]:
    """Sessions in a fresh local-memory cache: no database needed."""
    with override_settings(
        SESSION_ENGINE="django.contrib.sessions.backends.cache",
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    ):
        yield


def reply_channel(layer: Any) -> str:
    """A new process-specific reply channel, as the bridge makes one per socket."""
    return layer.new_channel(f"daphne.response.test{next(_sockets)}!")


def ws_message(
    layer: Any,
    channel: str,
    reply: str,
    order: int | None = None,
    **content: Any,
) -> Message:
    """A ``websocket.*`` Message as a worker builds it from what the bridge sent."""
    body: dict[str, Any] = {"reply_channel": reply, "path": "/ws/"}
    if order is not None:
        body["order"] = order
    body.update(content)
    return Message(body, channel, layer)


def cookie_headers(session_key: str, **extra: str) -> list[list[bytes]]:
    """Handshake headers carrying the session cookie."""
    from django.conf import settings

    headers = [
        [b"host", b"testserver"],
        [b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode()],
    ]
    for name, value in extra.items():
        headers.append([name.encode(), value.encode()])
    return headers
