"""Fixtures for the binding tests: the test app installed (tables in the test database), an
in-memory layer routed to the demultiplexer of ``tests.binding.routing``, and a client side
(a reply channel in a group) to read frames from."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test.utils import override_settings

from channels.asgi import channel_layers

APP = "tests.binding.testapp"
ROUTING = "tests.binding.routing.channel_routing"
INMEMORY = "channels.layers.inmemory.InMemoryChannelLayer"


@pytest.fixture(scope="module")
def binding_app(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """The test app installed, with its tables in the test database, for a module."""
    with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, APP]):
        with django_db_blocker.unblock():
            call_command("migrate", "binding_testapp", verbosity=0)
        yield


@pytest.fixture
def layer(binding_app: None, transactional_db: None) -> Iterator[Any]:
    """The ``default`` layer: in memory, routed to the binding demultiplexer."""
    config = {"default": {"BACKEND": INMEMORY, "ROUTING": ROUTING}}
    with override_settings(CHANNEL_LAYERS=config):
        yield channel_layers["default"]


class Client:
    """A socket's reply channel, as the interface server would read it."""

    def __init__(self, layer: Any, *groups: str) -> None:
        self.layer = layer
        self.channel = layer.new_channel("websocket.send!")
        self.prefix = self.channel[: self.channel.index("!") + 1]
        for group in groups:
            layer.group_add(group, self.channel)

    def frame(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next frame's decoded JSON; fails after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no frame for {self.channel!r} within {timeout} s"
            channel, message = self.layer.receive([self.prefix], block=True, timeout=remaining)
            if channel is not None:
                assert channel == self.channel, (channel, self.channel)
                if "text" not in message:
                    return message  # accept/close replies, returned as they are
                decoded: dict[str, Any] = json.loads(message["text"])
                return decoded

    def nothing(self) -> bool:
        """True if no frame is waiting now."""
        channel, _ = self.layer.receive([self.prefix])
        return channel is None
