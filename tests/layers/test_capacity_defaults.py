"""The default capacities are the ones the docs state: the interface server's channels hold a
burst (5,000), the rest 100, process prefixes 10,000; a ``channel_capacity`` pattern of the
user's comes before the built-in ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from channels.layers.capacity import DEFAULT_CHANNEL_CAPACITY
from channels.layers.inmemory import InMemoryChannelLayer
from channels.layers.redis import RedisChannelLayer

DOCS = Path(__file__).resolve().parents[2] / "docs"

#: What docs/backends.rst's capacity section and docs/workers.rst promise.
DOCUMENTED = {
    "http.request": 5_000,
    "websocket.connect": 5_000,
    "websocket.receive": 5_000,
    "websocket.disconnect": 5_000,
    "thumbnails": 100,
    "daphne.response.Xq3b!": 10_000,
}


def test_the_built_in_defaults_are_the_documented_ones() -> None:
    assert DEFAULT_CHANNEL_CAPACITY == {"http.request": 5_000, "websocket.*": 5_000}
    # Whitespace-insensitive: rewrapping a paragraph changes no promise.
    backends = " ".join((DOCS / "backends.rst").read_text().split())
    workers = " ".join((DOCS / "workers.rst").read_text().split())
    assert "``websocket.*`` channel default to **5,000** messages each" in backends
    assert '``{"http.request": 5000, "websocket.*": 5000}``' in backends
    assert "``http.request`` and ``websocket.*`` hold 5,000 messages each by default" in workers


def test_an_in_memory_layer_has_the_documented_capacities() -> None:
    layer = InMemoryChannelLayer()
    assert {name: layer.channel_statistics(name)["capacity"] for name in DOCUMENTED} == DOCUMENTED


@pytest.mark.redis
def test_a_redis_layer_has_the_documented_capacities(redis_url: str, redis_prefix: str) -> None:
    layer = RedisChannelLayer(hosts=[redis_url], prefix=redis_prefix)
    try:
        assert {
            name: layer.channel_statistics(name)["capacity"] for name in DOCUMENTED
        } == DOCUMENTED
    finally:
        layer.close()


def test_a_pattern_of_the_user_comes_first_and_capacity_leaves_the_defaults_alone() -> None:
    layer = InMemoryChannelLayer(capacity=3, channel_capacity={"websocket.receive": 7})
    capacities = {
        name: layer.channel_statistics(name)["capacity"]
        for name in ("websocket.receive", "websocket.connect", "http.request", "jobs")
    }
    assert capacities == {
        "websocket.receive": 7,
        "websocket.connect": 5_000,
        "http.request": 5_000,
        "jobs": 3,
    }


def test_the_defaults_still_refuse_past_their_capacity() -> None:
    layer = InMemoryChannelLayer(channel_capacity={"http.request": 2})
    layer.send("http.request", {"n": 1})
    layer.send("http.request", {"n": 2})
    with pytest.raises(layer.ChannelFull):
        layer.send("http.request", {"n": 3})
