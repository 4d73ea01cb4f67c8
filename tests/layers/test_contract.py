"""The contract suite (:mod:`tests.layers.contract`) over every layer this package ships."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from channels.layers.inmemory import InMemoryChannelLayer
from tests.layers.contract import *  # noqa: F403
from tests.layers.contract import LayerBackend


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def layer_backend(request: pytest.FixtureRequest) -> Iterator[LayerBackend]:
    """In-memory, and Redis under a key prefix of the test's own (deleted afterwards)."""
    if request.param == "memory":
        yield LayerBackend(InMemoryChannelLayer)
        return
    from channels.layers.redis import RedisChannelLayer

    url = request.getfixturevalue("redis_url")
    prefix = request.getfixturevalue("redis_prefix")
    yield LayerBackend(RedisChannelLayer, {"hosts": [url], "prefix": prefix}, multiprocess=True)
