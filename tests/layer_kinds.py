"""``make_layer``: one fixture for tests that run on every kind of layer (in-memory; Redis
under a prefix of the test's own; IPC on a store of the test's own). Import it into a
folder's conftest or a test module to use it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from channels.layers.inmemory import InMemoryChannelLayer


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis), "ipc"])
def make_layer(request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """``make_layer(**options)``: a layer of the parametrized kind (every IPC one of a test
    on one store, as the processes of a machine are); all flushed or closed afterwards."""
    made: list[Any] = []
    store = f"test-{uuid.uuid4().hex}"

    def make(**options: Any) -> Any:
        if request.param == "memory":
            layer: Any = InMemoryChannelLayer(**options)
        elif request.param == "ipc":
            from channels.layers.ipc import IPCChannelLayer

            layer = IPCChannelLayer(prefix=store, **options)
        else:
            from channels.layers.redis import RedisChannelLayer

            url = request.getfixturevalue("redis_url")
            prefix = request.getfixturevalue("redis_prefix")
            layer = RedisChannelLayer([url], prefix, **options)
        made.append(layer)
        return layer

    yield make
    for layer in made:
        if request.param == "ipc":
            layer.flush()
        layer.close()
