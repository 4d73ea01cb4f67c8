"""``CHANNEL_LAYERS`` → channel layer objects.

::

    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.redis.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:6379"]},
            "ROUTING": "myproject.routing.channel_routing",
        },
    }

``channel_layers[alias]`` builds the layer on first use and returns a
:class:`ChannelLayerWrapper`: the layer plus its ``router``. The setting is read lazily and
re-read when tests change it (Django's ``setting_changed``). ``ROUTING`` may be omitted: the
layer then carries only the default routes (HTTP to Django views, WebSockets accepted).
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from . import DEFAULT_CHANNEL_LAYER
from .exceptions import InvalidChannelLayerError
from .types import Receive, Scope, Send

#: Backend paths of the seeds' era, accepted as names of ours.
BACKEND_ALIASES = {
    "asgiref.inmemory.ChannelLayer": "channels.layers.inmemory.InMemoryChannelLayer",
    "asgiref.inmemory.channel_layer": "channels.layers.inmemory.InMemoryChannelLayer",
    "asgi_redis.RedisChannelLayer": "channels.layers.redis.RedisChannelLayer",
    "asgi_ipc.IPCChannelLayer": "channels.layers.ipc.IPCChannelLayer",
    # Channels 4's paths, served by our layers (channels_redis's CONFIG is translated).
    "channels.layers.InMemoryChannelLayer": "channels.layers.inmemory.InMemoryChannelLayer",
    "channels_redis.core.RedisChannelLayer": (
        "channels.layers.channels_redis_options.ChannelsRedisLayer"
    ),
    "channels_redis.pubsub.RedisPubSubChannelLayer": (
        "channels.layers.channels_redis_options.ChannelsRedisPubSubLayer"
    ),
}

#: The keys a CHANNEL_LAYERS entry may have.
KNOWN_KEYS = frozenset({"BACKEND", "ROUTING", "CONFIG", "TEST_CONFIG"})

_EXAMPLE_BACKEND = "'channels.layers.redis.RedisChannelLayer'"


def layer_config(alias: str, configs: Any) -> dict[str, Any]:
    """The settings dict of ``alias``, or a clear error."""
    if not isinstance(configs, dict):
        raise InvalidChannelLayerError(
            f"CHANNEL_LAYERS must be a dict of layer aliases to dicts, got {configs!r}"
        )
    if alias not in configs:
        raise InvalidChannelLayerError(
            f"no channel layer {alias!r} in CHANNEL_LAYERS (configured: "
            f"{sorted(configs) or 'none'}); add CHANNEL_LAYERS[{alias!r}] = {{'BACKEND': "
            f"{_EXAMPLE_BACKEND}, 'ROUTING': 'myproject.routing.channel_routing'}}"
        )
    config = configs[alias]
    if not isinstance(config, dict):
        raise InvalidChannelLayerError(
            f"CHANNEL_LAYERS[{alias!r}] must be a dict with 'BACKEND' and 'ROUTING', got {config!r}"
        )
    return config


def backend_class(alias: str, config: dict[str, Any]) -> type:
    """Import ``BACKEND`` (seed-era names accepted), or raise a clear error."""
    path = config.get("BACKEND")
    if not path:
        raise InvalidChannelLayerError(
            f"CHANNEL_LAYERS[{alias!r}] has no 'BACKEND'; set it to e.g. {_EXAMPLE_BACKEND}, "
            "or 'channels.layers.inmemory.InMemoryChannelLayer' for runserver and tests"
        )
    if not isinstance(path, str):
        raise InvalidChannelLayerError(
            f"CHANNEL_LAYERS[{alias!r}]['BACKEND'] must be a dotted path string, got {path!r}"
        )
    real = BACKEND_ALIASES.get(path, path)
    try:
        cls = import_string(real)
    except ImportError as exc:
        hint = ""
        if "redis" in real and getattr(exc, "name", None) in ("redis", "redis.asyncio"):
            hint = "; install it with: pip install 'channels-classic[redis]'"
        else:
            hint = "; check the dotted path, e.g. " + _EXAMPLE_BACKEND
        raise InvalidChannelLayerError(
            f"cannot import CHANNEL_LAYERS[{alias!r}]['BACKEND'] {path!r}: {exc}{hint}"
        ) from exc
    if not isinstance(cls, type):
        raise InvalidChannelLayerError(
            f"CHANNEL_LAYERS[{alias!r}]['BACKEND'] {path!r} is not a class: {cls!r}"
        )
    return cls


def build_layer(alias: str, config: dict[str, Any], key: str = "CONFIG") -> Any:
    """Instantiate the backend of ``alias`` with ``config[key]`` as keyword arguments."""
    cls = backend_class(alias, config)
    options = config.get(key, {})
    if not isinstance(options, dict):
        raise InvalidChannelLayerError(
            f"CHANNEL_LAYERS[{alias!r}][{key!r}] must be a dict of {cls.__name__} options, "
            f"got {options!r}"
        )
    try:
        return cls(**options)
    except Exception as exc:
        raise InvalidChannelLayerError(
            f"{cls.__module__}.{cls.__qualname__} rejected CHANNEL_LAYERS[{alias!r}][{key!r}] "
            f"= {options!r}: {exc}"
        ) from exc


class Composition(Protocol):
    """What turns a bare layer into a deployment: its router and its ASGI application.

    The layer lookup here sits below routing and the bridge (tier 3 of the architecture), so
    it cannot build them itself; :mod:`channels.composition` provides them and is installed by
    the ``channels`` app when Django starts (``AppConfig.ready()``).
    """

    def build_router(self, wrapper: ChannelLayerWrapper) -> Any:
        """The router of ``wrapper``'s ``routing`` plus its alias's declared routes."""

    def add_declared_route(self, router: Any, declared: Any) -> None:
        """Add one ``@Channel.consumer`` route to a router that is already built."""

    def build_application(self, wrapper: ChannelLayerWrapper) -> Any:
        """The ASGI application (the bridge) that serves connections through ``wrapper``."""

    def start_interface(self, wrapper: ChannelLayerWrapper) -> None:
        """Start what an interface server runs beside its connections (its heartbeat and
        metrics) now, as an ASGI server imports the project's ``asgi.py``."""


_composition: Composition | None = None


def install_composition(installed: Composition) -> None:
    """Use ``installed`` to build every wrapper's router and application from now on."""
    global _composition
    _composition = installed


def composition() -> Composition:
    """The installed composition, or a clear error when the ``channels`` app never started."""
    if _composition is None:
        raise ImproperlyConfigured(
            "channel layers have no router or interface yet: add 'channels' to "
            "INSTALLED_APPS (its AppConfig.ready() installs them) and call django.setup() "
            "first, e.g. through channels.asgi.get_channel_layer()"
        )
    return _composition


class ChannelLayerWrapper:
    """A channel layer with its routing: what ``channel_layers[alias]`` returns.

    ``router`` is built from ``routing`` on first use. Every other attribute is the layer's
    (``send``, ``areceive``, ``ChannelFull``, ...), so a wrapper can stand wherever a layer
    is expected.
    """

    def __init__(self, channel_layer: Any, alias: str, routing: Any) -> None:
        self.channel_layer = channel_layer
        self.alias = alias
        self.routing = routing

    @functools.cached_property
    def router(self) -> Any:
        """The :class:`~channels.routing.Router` of ``routing`` plus the ``@Channel.consumer``
        routes of this alias, built on first use by the installed composition."""
        return composition().build_router(self)

    def route_declared(self, declared: Any) -> None:
        """Add a route declared with ``@Channel.consumer`` to the router, if it is built
        already (one built later reads every declared route itself)."""
        if "router" in self.__dict__:
            composition().add_declared_route(self.router, declared)

    def __getattr__(self, name: str) -> Any:
        # Only called for names not found on the wrapper: those are the layer's.
        if name == "channel_layer":  # not set yet (copy/pickle): avoid recursing
            raise AttributeError(name)
        return getattr(self.channel_layer, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A wrapper is an ASGI application, so ``daphne myproject.asgi:channel_layer`` (the
        seeds' deployment) serves it: each connection goes through the bridge onto this
        layer, configured from the ``CHANNELS_*`` settings."""
        await self.interface(scope, receive, send)

    @functools.cached_property
    def interface(self) -> Any:
        """The ASGI application serving connections through this layer (the bridge), built
        on first use by the installed composition."""
        return composition().build_application(self)

    def local_only(self) -> bool:
        """True if only this process can reach the layer (the in-memory layer)."""
        return not getattr(self.channel_layer, "crosses_processes", True)

    def __str__(self) -> str:
        cls = type(self.channel_layer)
        return f"{self.alias} ({cls.__module__}.{cls.__qualname__})"

    def __repr__(self) -> str:
        return f"<ChannelLayerWrapper {self}>"


class ChannelLayerManager:
    """The layers of ``CHANNEL_LAYERS``, built on first use: ``channel_layers[alias]``."""

    def __init__(self) -> None:
        self._wrappers: dict[str, ChannelLayerWrapper] = {}
        self._lock = threading.RLock()

    @property
    def configs(self) -> dict[str, Any]:
        """``settings.CHANNEL_LAYERS`` (``{}`` when unset)."""
        from django.conf import settings

        return getattr(settings, "CHANNEL_LAYERS", {})

    def make_backend(self, alias: str) -> ChannelLayerWrapper:
        """A new wrapper for ``alias`` built from its ``CONFIG``."""
        return self._make(alias, "CONFIG")

    def make_test_backend(self, alias: str) -> ChannelLayerWrapper:
        """A new wrapper for ``alias`` built from its ``TEST_CONFIG`` (for live-server tests)."""
        config = layer_config(alias, self.configs)
        if "TEST_CONFIG" not in config:
            raise InvalidChannelLayerError(
                f"CHANNEL_LAYERS[{alias!r}] has no 'TEST_CONFIG'; add one (e.g. a Redis prefix "
                "of its own) so tests do not share the site's layer"
            )
        return self._make(alias, "TEST_CONFIG")

    def _make(self, alias: str, key: str) -> ChannelLayerWrapper:
        config = layer_config(alias, self.configs)
        layer = build_layer(alias, config, key)
        return ChannelLayerWrapper(layer, alias, config.get("ROUTING", []))

    def __getitem__(self, alias: str) -> ChannelLayerWrapper:
        with self._lock:
            wrapper = self._wrappers.get(alias)
            if wrapper is None:
                wrapper = self._wrappers[alias] = self.make_backend(alias)
            return wrapper

    def __contains__(self, alias: object) -> bool:
        return alias in self.configs

    def loaded(self, alias: str) -> ChannelLayerWrapper | None:
        """The wrapper of ``alias`` if it was built already, else None (builds nothing)."""
        return self._wrappers.get(alias)

    def set(self, alias: str, wrapper: ChannelLayerWrapper) -> ChannelLayerWrapper | None:
        """Use ``wrapper`` for ``alias`` from now on; return the previous one (or None)."""
        with self._lock:
            old = self._wrappers.get(alias)
            self._wrappers[alias] = wrapper
            return old

    def reset(self) -> None:
        """Forget every built layer; the next access re-reads ``CHANNEL_LAYERS``."""
        with self._lock:
            self._wrappers.clear()


#: The process's layers.
channel_layers = ChannelLayerManager()


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "CHANNEL_LAYERS":
        channel_layers.reset()


setting_changed.connect(_on_setting_changed, dispatch_uid="channels.asgi.setting_changed")


def get_channel_layer(alias: str = DEFAULT_CHANNEL_LAYER) -> ChannelLayerWrapper:
    """Set Django up and return the layer of ``alias``: a project's ``asgi.py`` says
    ``channel_layer = get_channel_layer()``, and daphne serves ``myproject.asgi:channel_layer``.
    """
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    wrapper = channel_layers[alias]
    # An ASGI server imports this: its heartbeat and metrics start now, not at a first request.
    composition().start_interface(wrapper)
    return wrapper


__all__ = [
    "BACKEND_ALIASES",
    "ChannelLayerManager",
    "ChannelLayerWrapper",
    "Composition",
    "channel_layers",
    "composition",
    "get_channel_layer",
    "install_composition",
]
