"""Layers for the operations tests: in-memory, and Redis under a prefix of the test's own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from channels.layers.inmemory import InMemoryChannelLayer


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def make_layer(request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """``make_layer(**options)``: a layer of the parametrized kind; all closed afterwards."""
    made: list[Any] = []

    def make(**options: Any) -> Any:
        if request.param == "memory":
            layer: Any = InMemoryChannelLayer(**options)
        else:
            from channels.layers.redis import RedisChannelLayer

            url = request.getfixturevalue("redis_url")
            prefix = request.getfixturevalue("redis_prefix")
            layer = RedisChannelLayer([url], prefix, **options)
        made.append(layer)
        return layer

    yield make
    for layer in made:
        layer.close()
