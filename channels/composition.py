"""The composition root: a channel layer, its router and the bridge, put together.

``channels.asgi`` maps an alias to a layer and sits below routing and the interface bridge,
so it cannot build them. This module can: the ``channels`` app installs :data:`composition`
when Django starts (``AppConfig.ready()``), and from then on every
:class:`~channels.asgi.ChannelLayerWrapper` gets

* its ``router``: the layer's ``ROUTING`` plus the routes declared with
  ``@Channel.consumer`` for its alias (apps' ``consumers`` modules are imported first, so
  theirs are declared), and
* its ASGI application: the bridge, configured from the ``CHANNELS_*`` settings, which is
  what ``daphne myproject.asgi:channel_layer``, ``runserver`` and the live-server tests serve.
"""

from __future__ import annotations

from django.apps import apps
from django.utils.module_loading import autodiscover_modules

from .application import make_bridge, start_interface
from .asgi import ChannelLayerWrapper, install_composition
from .channel import DeclaredRoute, declared_routes
from .interface import Bridge
from .routing import Route, Router


class DefaultComposition:
    """Builds routers with :class:`~channels.routing.Router` and applications with the
    bridge of :mod:`channels.application`."""

    def build_router(self, wrapper: ChannelLayerWrapper) -> Router:
        """The router of ``wrapper.routing`` plus the declared routes of its alias."""
        if apps.ready:
            autodiscover_modules("consumers")
        router = Router(wrapper.routing)
        for declared in declared_routes.get(wrapper.alias, []):
            self.add_declared_route(router, declared)
        return router

    def add_declared_route(self, router: Router, declared: DeclaredRoute) -> None:
        """Append one ``@Channel.consumer`` route after the ``ROUTING`` entries."""
        router.add_route(Route(list(declared.channels), declared.consumer, **declared.filters))

    def build_application(self, wrapper: ChannelLayerWrapper) -> Bridge:
        """The bridge serving connections through ``wrapper``'s layer."""
        return make_bridge(wrapper)

    def start_interface(self, wrapper: ChannelLayerWrapper) -> None:
        """Start the bridge's heartbeat and metrics now (see ``application.start_interface``)."""
        start_interface(wrapper)


#: What the ``channels`` app installs.
composition = DefaultComposition()


def install() -> None:
    """Make every channel layer wrapper use :data:`composition` (idempotent)."""
    install_composition(composition)


__all__ = ["DefaultComposition", "composition", "install"]
