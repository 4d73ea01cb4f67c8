"""``Channel(name).send(content, delay=seconds)``: the envelope it puts on ``asgi.delay``."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from channels import Channel
from channels.layers.inmemory import InMemoryChannelLayer
from channels.message import pending_message_store


@pytest.fixture
def layer() -> Iterator[InMemoryChannelLayer]:
    layer = InMemoryChannelLayer()
    yield layer
    layer.flush()


def test_send_with_a_delay_needs_the_delay_app(layer: InMemoryChannelLayer) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"add 'channels\.delay' to INSTALLED_APPS"):
        Channel("later", channel_layer=layer).send({"a": 1}, delay=1)
    assert layer.receive(["asgi.delay", "later"]) == (None, None)


def test_send_with_a_delay_puts_an_envelope_on_asgi_delay(
    delay_installed: None, layer: InMemoryChannelLayer
) -> None:
    Channel("later", channel_layer=layer).send({"a": b"\x01"}, delay=1.5)
    assert layer.receive(["asgi.delay"]) == (
        "asgi.delay",
        {"channel": "later", "delay": 1500, "content": {"a": b"\x01"}},
    )
    assert layer.receive(["later"]) == (None, None)


async def test_asend_with_a_delay_puts_an_envelope_on_asgi_delay(
    delay_installed: None, layer: InMemoryChannelLayer
) -> None:
    await Channel("later", channel_layer=layer).asend({"b": 2}, delay=0.25)
    assert await layer.areceive(["asgi.delay"]) == (
        "asgi.delay",
        {"channel": "later", "delay": 250, "content": {"b": 2}},
    )


def test_a_tiny_delay_is_at_least_one_millisecond(
    delay_installed: None, layer: InMemoryChannelLayer
) -> None:
    Channel("later", channel_layer=layer).send({}, delay=0.0001)
    assert layer.receive(["asgi.delay"])[1]["delay"] == 1


@pytest.mark.parametrize("delay", [0, -1, "5", True, math.inf, math.nan, None.__class__])
def test_send_refuses_a_delay_that_is_not_a_positive_number(
    delay_installed: None, layer: InMemoryChannelLayer, delay: Any
) -> None:
    with pytest.raises(ValueError, match="delay must be a positive, finite number of seconds"):
        Channel("later", channel_layer=layer).send({"a": 1}, delay=delay)
    assert layer.receive(["asgi.delay", "later"]) == (None, None)


def test_a_delayed_send_in_a_consumer_is_held_until_it_finishes(
    delay_installed: None, layer: InMemoryChannelLayer
) -> None:
    pending_message_store.prepare()
    try:
        Channel("later", channel_layer=layer).send({"c": 3}, delay=2)
        assert layer.receive(["asgi.delay"]) == (None, None)
    finally:
        pending_message_store.send_and_flush()
    assert layer.receive(["asgi.delay"]) == (
        "asgi.delay",
        {"channel": "later", "delay": 2000, "content": {"c": 3}},
    )


def test_the_delay_channel_is_named_alike_on_both_sides() -> None:
    import channels.channel
    import channels.delay

    assert channels.channel.DELAY_CHANNEL == channels.delay.DELAY_CHANNEL == "asgi.delay"


def test_the_app_is_installed_as_channels_delay_with_a_valid_label(delay_installed: None) -> None:
    from django.apps import apps

    config = apps.get_app_config("channels_delay")
    assert config.name == "channels.delay"
    assert config.get_model("DelayedMessage")._meta.db_table == "channels_delay_delayedmessage"
