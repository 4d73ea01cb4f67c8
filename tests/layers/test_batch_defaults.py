"""The batch operations a layer of one's own inherits from ``BaseChannelLayer`` (it writes
only the single operations): correct, if not faster."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from channels.exceptions import ChannelFull
from channels.layers.base import BaseChannelLayer, Message, Received
from channels.layers.inmemory import InMemoryChannelLayer


class SingleOperationsLayer(BaseChannelLayer):
    """The abstract methods only, kept in an in-memory layer."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.store = InMemoryChannelLayer(**options)

    def send(self, channel: str, message: Message) -> None:
        self.store.send(channel, message)

    def receive(self, channels: Any, block: bool = False, timeout: float | None = None) -> Received:
        return self.store.receive(channels, block, timeout)

    def group_add(self, group: str, channel: str) -> None:
        self.store.group_add(group, channel)

    def group_discard(self, group: str, channel: str) -> None:
        self.store.group_discard(group, channel)

    def send_group(self, group: str, message: Message) -> None:
        self.store.send_group(group, message)

    def group_channels(self, group: str) -> list[str]:
        return self.store.group_channels(group)

    def flush(self) -> None:
        self.store.flush()

    def channel_statistics(self, channel: str) -> dict[str, Any]:
        return self.store.channel_statistics(channel)


def test_receive_many_takes_what_waits_up_to_the_count() -> None:
    layer = SingleOperationsLayer()
    for n in range(5):
        layer.send("own.a", {"n": n})
    assert [m["n"] for _, m in layer.receive_many(["own.a"], 3)] == [0, 1, 2]
    assert [m["n"] for _, m in layer.receive_many(["own.a"], 3, block=True)] == [3, 4]
    assert layer.receive_many(["own.a"], 3, block=True, timeout=0.05) == []
    with pytest.raises(ValueError):
        layer.receive_many(["own.a"], 0)


async def test_areceive_many_waits_for_the_first_only() -> None:
    layer = SingleOperationsLayer()
    waiting = asyncio.ensure_future(layer.areceive_many(["own.b"], 4, block=True, timeout=10))
    await asyncio.sleep(0.05)
    layer.send("own.b", {"n": 1})
    assert await asyncio.wait_for(waiting, 10) == [("own.b", {"n": 1})]


def test_send_many_reports_each_item_and_keeps_a_refused_channel_in_order() -> None:
    layer = SingleOperationsLayer(channel_capacity={"own.small": 1})
    results = layer.send_many(
        [("own.small", {"n": 1}), ("own.small", {"n": 2}), ("own.other", {"n": 3})]
    )
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], ChannelFull)
    assert layer.receive_many(["own.small", "own.other"], 5) != []
    with pytest.raises(TypeError):  # an invalid item: nothing is sent
        layer.send_many([("own.c", {"n": 1}), ("own.c", {"bad": object()})])
    assert layer.receive(["own.c"]) == (None, None)
