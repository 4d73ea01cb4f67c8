"""Fixtures of the Channels 4 API suite: every layer test runs on the in-memory layer and on
Redis, configured with Channels 4's backend paths and options."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from django.test import override_settings

from channels.asgi import channel_layers


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Consumers touch the database around each sync handler (``database_sync_to_async``
    closes old connections), so, as Channels 4's testing docs advise, every test here may
    use it."""
    for item in items:
        if "tests/channels4/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.django_db(transaction=True))


def layer_settings(kind: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    """``CHANNEL_LAYERS`` as a Channels 4 project writes it."""
    if kind == "inmemory":
        return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    redis_url = request.getfixturevalue("redis_url")
    prefix = request.getfixturevalue("redis_prefix")
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url], "prefix": prefix},
        }
    }


@pytest.fixture(params=["inmemory", pytest.param("redis", marks=pytest.mark.redis)])
async def channel_layer_settings(request: pytest.FixtureRequest) -> AsyncIterator[dict[str, Any]]:
    """``CHANNEL_LAYERS`` set to the in-memory layer, then to Redis (a key prefix of the
    test's own); the layer is closed on this test's event loop afterwards."""
    layers = layer_settings(request.param, request)
    with override_settings(CHANNEL_LAYERS=layers):
        try:
            yield layers
        finally:
            wrapper = channel_layers.loaded("default")
            if wrapper is not None:
                await wrapper.channel_layer.aclose()


# The examples' headless Chromium pool and per-test pages, and their Redis prefix.
from tests.examples.conftest import browser_pool, example_redis, pages  # noqa: E402, F401
