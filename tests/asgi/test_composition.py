"""The composition root: layer + router + bridge, wired by the channels app."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from channels import asgi, composition
from channels.asgi import ChannelLayerWrapper
from channels.interface import Bridge
from channels.layers import InMemoryChannelLayer
from channels.routing import Router, route


def consumer(message: Any) -> None:
    """A consumer."""


def test_the_channels_app_installs_the_composition() -> None:
    assert asgi.composition() is composition.composition


def test_a_wrapper_gets_its_router_and_bridge_from_the_composition() -> None:
    wrapper = ChannelLayerWrapper(InMemoryChannelLayer(), "default", [route("a.b", consumer)])
    assert isinstance(wrapper.router, Router)
    assert "a.b" in wrapper.router.channels
    assert isinstance(composition.composition.build_application(wrapper), Bridge)


def test_without_the_app_the_error_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(asgi, "_composition", None)
    wrapper = ChannelLayerWrapper(InMemoryChannelLayer(), "default", [])
    with pytest.raises(ImproperlyConfigured, match="add 'channels' to INSTALLED_APPS"):
        wrapper.router  # noqa: B018


def test_layers_declare_whether_they_cross_processes() -> None:
    assert InMemoryChannelLayer.crosses_processes is False
    assert ChannelLayerWrapper(InMemoryChannelLayer(), "default", []).local_only()
    from channels.layers.redis import RedisChannelLayer

    assert RedisChannelLayer.crosses_processes is True
