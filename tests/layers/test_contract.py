"""The contract suite (:mod:`tests.layers.contract`) over every layer this package ships."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from channels.layers.inmemory import InMemoryChannelLayer
from tests.layers.contract import *  # noqa: F403
from tests.layers.contract import LayerBackend
from tests.layers.contract_batches import *  # noqa: F403
from tests.layers.redis_cluster import delete_cluster_keys_under


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis), "cluster", "ipc"])
def layer_backend(request: pytest.FixtureRequest) -> Iterator[LayerBackend]:
    """In-memory; Redis and a Redis Cluster under a key prefix of the test's own (deleted
    afterwards); IPC under a store prefix of the test's own (its files removed afterwards)."""
    if request.param == "memory":
        yield LayerBackend(InMemoryChannelLayer)
        return
    if request.param == "ipc":
        from channels.layers.ipc import IPCChannelLayer

        options = {"prefix": f"test-{uuid.uuid4().hex}"}
        yield LayerBackend(IPCChannelLayer, options, multiprocess=True)
        cleaner = IPCChannelLayer(**options)
        cleaner.flush()
        cleaner.close()
        assert cleaner.store.files() == [], "flush() left files behind"
        return
    from channels.layers.redis import RedisChannelLayer

    if request.param == "cluster":
        cluster = request.getfixturevalue("redis_cluster")
        prefix = f"test:{uuid.uuid4().hex}:"
        options = {"hosts": [cluster.url], "prefix": prefix, "cluster": True}
        yield LayerBackend(RedisChannelLayer, options, multiprocess=True)
        delete_cluster_keys_under(cluster, prefix)
        return

    url = request.getfixturevalue("redis_url")
    prefix = request.getfixturevalue("redis_prefix")
    yield LayerBackend(RedisChannelLayer, {"hosts": [url], "prefix": prefix}, multiprocess=True)
