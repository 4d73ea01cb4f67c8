"""Fixtures for the bridge tests: a real daphne subprocess serving the bridge over Redis, and
the test process playing the worker on the same key prefix.

``start_bridge(**options)`` starts ``daphne tests.interface.app:application`` on a free port
(daphne picks it: ``-p 0``; its log line tells us which) and stops it after the test. Its
output is printed at teardown, which pytest shows only when the test failed.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from channels.layers.redis import RedisChannelLayer
from tests.daphne_server import DaphneServer
from tests.deadlines import anext_message

#: How long the worker (the test) waits for a message the bridge should have sent.
RECEIVE_DEADLINE = 10.0

#: The ``start_bridge`` fixture's type.
StartBridge = Callable[..., "DaphneServer"]


@pytest.fixture
def start_bridge(redis_url: str, redis_prefix: str) -> Iterator[StartBridge]:
    """``start_bridge(http_timeout=..., websocket_connect_timeout=..., max_request_body_size=...,
    channel_capacity={...}, client_name=..., server=...)``: a running daphne serving the bridge
    on this test's Redis prefix (``server="channels"``: this package's daphne-based server,
    as ``runserver`` runs it, instead of the ``daphne`` command). Stopped (and its output
    printed) at teardown."""
    servers: list[DaphneServer] = []

    def start(
        *,
        http_timeout: float | None = None,
        websocket_connect_timeout: float | None = None,
        max_request_body_size: int | None = None,
        channel_capacity: dict[str, int] | None = None,
        client_name: str | None = None,
        server: str = "daphne",
    ) -> DaphneServer:
        env = {
            key: value for key, value in os.environ.items() if not key.startswith("CHANNELS_TEST_")
        }
        env["CHANNELS_TEST_REDIS_URL"] = redis_url
        env["CHANNELS_TEST_PREFIX"] = redis_prefix
        settings: dict[str, Any] = {
            "HTTP_TIMEOUT": http_timeout,
            "WEBSOCKET_CONNECT_TIMEOUT": websocket_connect_timeout,
            "MAX_REQUEST_BODY_SIZE": max_request_body_size,
            "CHANNEL_CAPACITY": json.dumps(channel_capacity) if channel_capacity else None,
            "CLIENT_NAME": client_name,
        }
        for name, value in settings.items():
            if value is not None:
                env[f"CHANNELS_TEST_{name}"] = str(value)
        process = DaphneServer(env, "tests.interface.app:application", server=server)
        servers.append(process)
        return process.start()

    yield start
    for server in servers:
        server.stop()
        print(f"---- daphne output (port {server.port}) ----\n{server.output()}")


@pytest.fixture
async def worker(redis_url: str, redis_prefix: str) -> AsyncIterator[RedisChannelLayer]:
    """The test's side of the layer: it receives what the bridge sends and replies."""
    layer = RedisChannelLayer(hosts=[redis_url], prefix=redis_prefix)
    yield layer
    await layer.aclose()


async def next_message(
    layer: RedisChannelLayer, channel: str, deadline: float = RECEIVE_DEADLINE
) -> dict[str, Any]:
    """The next message on ``channel``; fails the test if none arrives within ``deadline``."""
    return await anext_message(layer, channel, deadline)
