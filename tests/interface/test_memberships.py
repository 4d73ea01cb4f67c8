"""The interface server's record of its sockets' groups (channels.interface.memberships), on
the in-memory layer: what a note does, what a closing socket does, what a restore does."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from channels.exceptions import ChannelLayerUnavailable
from channels.interface.memberships import Memberships
from channels.layers import InMemoryChannelLayer

PREFIX = "owner!"


def record(open_channels: set[str]) -> tuple[InMemoryChannelLayer, Memberships]:
    layer = InMemoryChannelLayer()
    memberships = Memberships(layer, PREFIX, open_channels.__contains__)
    memberships.claim()
    return layer, memberships


async def test_notes_of_open_sockets_are_recorded_and_a_close_leaves_the_groups() -> None:
    layer, memberships = record({"owner!a"})
    await layer.agroup_add("room", "owner!a")
    memberships.noted({"op": "add", "group": "room", "channel": "owner!a"})
    assert memberships.groups_of("owner!a") == {"room"}
    assert memberships.count == 1
    memberships.release("owner!a")
    await memberships.stop()
    assert layer.group_channels("room") == []
    assert memberships.count == 0


async def test_an_add_for_a_socket_already_gone_is_undone() -> None:
    layer, memberships = record(set())  # the socket closed, or its handshake was refused
    await layer.agroup_add("late", "owner!gone")
    memberships.noted({"op": "add", "group": "late", "channel": "owner!gone"})
    await memberships.stop()
    assert layer.group_channels("late") == []
    assert memberships.count == 0


async def test_a_discard_note_forgets_the_group() -> None:
    _, memberships = record({"owner!a"})
    memberships.noted({"op": "add", "group": "room", "channel": "owner!a"})
    memberships.noted({"op": "discard", "group": "room", "channel": "owner!a"})
    assert memberships.groups_of("owner!a") == set()


async def test_restore_puts_every_recorded_membership_back() -> None:
    layer, memberships = record({"owner!a", "owner!b"})
    for channel in ("owner!a", "owner!b"):
        memberships.noted({"op": "add", "group": "room", "channel": channel})
    layer.flush()  # the store lost everything
    assert await memberships.restore() == (2, 0)
    assert sorted(layer.group_channels("room")) == ["owner!a", "owner!b"]


async def test_a_malformed_note_is_ignored_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    _, memberships = record({"owner!a"})
    with caplog.at_level(logging.WARNING, logger="channels.interface"):
        memberships.noted({"op": "add", "group": 5})
        memberships.noted({"op": "shout", "group": "room", "channel": "owner!a"})
    assert memberships.count == 0
    assert "malformed membership note" in caplog.text
    assert "op 'shout'" in caplog.text


class RestartingLayer(InMemoryChannelLayer):
    """An in-memory layer that can play a store that restarted empty: its epoch changes, and
    the first ``refuse`` group adds after that fail as a stale connection would."""

    detects_store_loss = True

    def __init__(self) -> None:
        super().__init__()
        self.epoch = 1
        self.refuse = 0
        self.asked = 0

    def store_epoch(self) -> int:
        return self.epoch

    async def astore_epoch(self) -> int:
        self.asked += 1
        return self.epoch

    async def agroup_add(self, group: str, channel: str) -> None:
        if self.refuse:
            self.refuse -= 1
            raise ChannelLayerUnavailable("connection closed by server")
        await super().agroup_add(group, channel)


async def test_a_restore_that_partly_fails_is_run_again_until_it_succeeds() -> None:
    layer = RestartingLayer()
    memberships = Memberships(layer, PREFIX, {"owner!a", "owner!b"}.__contains__, 0.01)
    for channel in ("owner!a", "owner!b"):
        memberships.noted({"op": "add", "group": "room", "channel": channel})
    keeper = asyncio.ensure_future(memberships.keep())
    try:
        deadline = asyncio.get_running_loop().time() + 5
        while layer.asked < 2:  # the keeper has read the epoch: it knows it
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.01)
        layer.flush()
        layer.refuse = 1
        layer.epoch = 2
        deadline = asyncio.get_running_loop().time() + 5
        while sorted(layer.group_channels("room")) != ["owner!a", "owner!b"]:
            assert asyncio.get_running_loop().time() < deadline, layer.group_channels("room")
            await asyncio.sleep(0.01)
    finally:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper
