"""Membership notes (channels.layers.membership): a group change of a process-specific channel
reaches the process that owns its prefix, and nobody else, on the in-memory and Redis layers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis

from channels.layers.membership import NOTE_CHANNEL, is_note, note_for
from tests import layer_kinds
from tests.conftest import keys_under


def test_a_note_is_for_process_specific_channels_only() -> None:
    assert note_for("add", "room", "daphne.response.A!x") == (
        "daphne.response.A!" + NOTE_CHANNEL,
        {"op": "add", "group": "room", "channel": "daphne.response.A!x"},
    )
    assert note_for("add", "room", "plain.channel") is None
    assert note_for("add", "room", "daphne.response.A!" + NOTE_CHANNEL) is None
    assert is_note("daphne.response.A!" + NOTE_CHANNEL)
    assert not is_note("daphne.response.A!x")


#: Every kind of layer (see tests/layer_kinds.py).
make_layer = layer_kinds.make_layer


@pytest.fixture
def layer(make_layer: Callable[..., Any]) -> Any:
    return make_layer()


def test_the_owner_of_a_prefix_hears_of_its_channels_memberships(layer: Any) -> None:
    layer.own_memberships("owned!")
    layer.group_add("room", "owned!a")
    layer.group_discard("room", "owned!a")
    assert layer.receive(["owned!"]) == (
        "owned!" + NOTE_CHANNEL,
        {"op": "add", "group": "room", "channel": "owned!a"},
    )
    assert layer.receive(["owned!"])[1]["op"] == "discard"
    assert layer.receive(["owned!"]) == (None, None)


def test_a_prefix_nobody_owns_gets_no_notes(layer: Any) -> None:
    layer.group_add("room", "unowned!a")
    layer.send("unowned!a", {"text": "hi"})
    assert layer.receive(["unowned!"]) == ("unowned!a", {"text": "hi"})
    assert layer.receive(["unowned!"]) == (None, None)


def test_notes_do_not_count_against_capacity(make_layer: Callable[..., Any]) -> None:
    layer = make_layer(process_capacity=1)
    layer.own_memberships("tight!")
    for number in range(5):
        layer.group_add(f"room{number}", "tight!a")
    assert [layer.receive(["tight!"])[1]["group"] for _ in range(5)] == [
        f"room{n}" for n in range(5)
    ]


@pytest.mark.redis
def test_the_owner_mark_lives_under_the_prefix_and_expires(
    redis_url: str, redis_prefix: str, redis_client: redis.Redis
) -> None:
    from channels.layers.ownership import OWNER_TTL
    from channels.layers.redis import RedisChannelLayer

    layer = RedisChannelLayer(hosts=[redis_url], prefix=redis_prefix)
    try:
        layer.own_memberships("owned!")
        [mark] = keys_under(redis_client, redis_prefix)
        assert mark == f"{redis_prefix}owner{{{redis_prefix}owned!}}".encode()
        assert 0 < redis_client.ttl(mark) <= OWNER_TTL
        layer.flush()
        assert keys_under(redis_client, redis_prefix) == []
    finally:
        layer.close()
