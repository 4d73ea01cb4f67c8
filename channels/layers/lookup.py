"""``get_channel_layer(alias)`` and ``channel_layers`` of the Channels 4 API, Django-free.

The layers themselves come from a *provider*: a callable ``provider(alias)`` that returns the
:class:`~channels.layers.async_api.AsyncChannelLayer` of an alias, or None when no such
layer is configured. The Django app installs one in ``AppConfig.ready()`` (reading
``CHANNEL_LAYERS``); a program without Django may install its own::

    from channels.layers import AsyncChannelLayer, InMemoryChannelLayer, lookup

    layer = AsyncChannelLayer(InMemoryChannelLayer())
    lookup.install(lambda alias: layer if alias == "default" else None)

This module lives below Django on purpose: consumers find their layer here while the Django
side, which knows the settings, plugs itself in from above.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from .async_api import AsyncChannelLayer

DEFAULT_CHANNEL_LAYER = "default"

Provider = Callable[[str], "AsyncChannelLayer | None"]

_provider: Provider | None = None
_lock = threading.Lock()


def install(provider: Provider | None) -> Provider | None:
    """Make ``provider`` the source of layers (None uninstalls); return the previous one."""
    global _provider
    with _lock:
        previous, _provider = _provider, provider
    return previous


def install_default(provider: Provider) -> None:
    """Install ``provider`` unless one is installed already (a program's own wins)."""
    global _provider
    with _lock:
        if _provider is None:
            _provider = provider


def get_channel_layer(alias: str = DEFAULT_CHANNEL_LAYER) -> AsyncChannelLayer | None:
    """The layer of ``alias`` with the Channels 4 async API, or None when no layer of that
    name is configured (a consumer then runs without one)."""
    provider = _provider
    if provider is None:
        raise RuntimeError(
            f"get_channel_layer({alias!r}): no channel layer provider is installed. Add "
            "'channels' to INSTALLED_APPS and set Django up first (manage.py, or "
            "django.setup() / get_asgi_application() at the top of asgi.py); without Django, "
            "call channels.layers.lookup.install(provider)"
        )
    return provider(alias)


class ChannelLayerRegistry:
    """``channel_layers[alias]``: the layer of ``alias``; a ``KeyError`` when there is none."""

    def __getitem__(self, alias: str) -> AsyncChannelLayer:
        layer = get_channel_layer(alias)
        if layer is None:
            raise KeyError(f"no channel layer {alias!r} is configured (see CHANNEL_LAYERS)")
        return layer

    def __contains__(self, alias: Any) -> bool:
        return isinstance(alias, str) and get_channel_layer(alias) is not None


#: The process's layers, by alias.
channel_layers = ChannelLayerRegistry()

__all__ = [
    "DEFAULT_CHANNEL_LAYER",
    "ChannelLayerRegistry",
    "channel_layers",
    "get_channel_layer",
    "install",
    "install_default",
]
