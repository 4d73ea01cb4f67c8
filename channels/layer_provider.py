"""Where ``channels.layers.get_channel_layer()`` gets its layers in a Django project.

``channels.layers`` cannot read settings (it never imports Django), so ``AppConfig.ready()``
installs :func:`provide` in :mod:`channels.layers.lookup`, and so does importing this
module (which the consumers and routers do, for projects without ``"channels"`` in
``INSTALLED_APPS``, as Channels 4's tutorial has it). It reads ``CHANNEL_LAYERS``
through :data:`channels.asgi.channel_layers`, so a Channels 4 consumer and a 1.x
``Channel``/``Group`` of the same alias share one layer object, its connections and its
messages; one :class:`~channels.layers.AsyncChannelLayer` is kept per layer object, so
``get_channel_layer()`` returns the same adapter until the setting changes.
"""

from __future__ import annotations

import asyncio
import threading
import weakref

from asgiref.sync import AsyncToSync

from .asgi import channel_layers
from .layers import AsyncChannelLayer, lookup

_adapters: weakref.WeakKeyDictionary[object, AsyncChannelLayer] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def provide(alias: str) -> AsyncChannelLayer | None:
    """The Channels 4 view of ``CHANNEL_LAYERS[alias]``, or None when it is not set."""
    if alias not in channel_layers:
        return None
    layer = channel_layers[alias].channel_layer
    with _lock:
        adapter = _adapters.get(layer)
        if adapter is None:
            adapter = _adapters[layer] = AsyncChannelLayer(layer, throwaway_loop=one_call_loop)
        return adapter


def one_call_loop(loop: asyncio.AbstractEventLoop) -> bool:
    """True for an event loop ``async_to_sync`` made for one call, because no loop ran in
    the calling thread (``async_to_sync(layer.group_send)(...)`` in a view); it closes when
    the call returns."""
    return loop in AsyncToSync.loop_thread_executors


def install_layer_provider() -> None:
    """Make :func:`provide` the source of ``channels.layers.get_channel_layer()``, unless
    the program installed a provider of its own."""
    lookup.install_default(provide)


# Channels 4 projects need not list "channels" in INSTALLED_APPS (no ready() then): the
# modules their code imports (consumers, routers, test tools) import this one.
install_layer_provider()


__all__ = ["install_layer_provider", "provide"]
