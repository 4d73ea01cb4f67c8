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
from typing import Any

from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from . import DEFAULT_CHANNEL_LAYER
from .exceptions import InvalidChannelLayerError

#: Backend paths of the seeds' era, accepted as names of ours.
BACKEND_ALIASES = {
    "asgiref.inmemory.ChannelLayer": "channels.layers.inmemory.InMemoryChannelLayer",
    "asgiref.inmemory.channel_layer": "channels.layers.inmemory.InMemoryChannelLayer",
    "asgi_redis.RedisChannelLayer": "channels.layers.redis.RedisChannelLayer",
    "asgi_ipc.IPCChannelLayer": "channels.layers.ipc.IPCChannelLayer",
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
            hint = "; install it with: pip install 'channels[redis]'"
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
        """The :class:`~channels.routing.Router` of ``routing`` plus ``@Channel.consumer``
        routes for this alias; apps' ``consumers`` modules are imported first so that theirs
        are registered."""
        from django.apps import apps
        from django.utils.module_loading import autodiscover_modules

        from .routing import Router, decorated_routes

        if apps.ready:
            autodiscover_modules("consumers")
        router = Router(self.routing)
        for entry in decorated_routes.get(self.alias, []):
            if entry not in router.root.routing:
                router.add_route(entry)
        return router

    def __getattr__(self, name: str) -> Any:
        # Only called for names not found on the wrapper: those are the layer's.
        if name == "channel_layer":  # not set yet (copy/pickle): avoid recursing
            raise AttributeError(name)
        return getattr(self.channel_layer, name)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """A wrapper is an ASGI application, so ``daphne myproject.asgi:channel_layer`` (the
        seeds' deployment) serves it: each connection goes through the bridge onto this
        layer, configured from the ``CHANNELS_*`` settings."""
        bridge = self.__dict__.get("_bridge")
        if bridge is None:
            from .application import make_bridge

            bridge = self.__dict__["_bridge"] = make_bridge(self)
        await bridge(scope, receive, send)

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
    """Set Django up and return the layer of ``alias``, for a project's ``asgi.py``::

    channel_layer = get_channel_layer()
    """
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    return channel_layers[alias]


__all__ = [
    "BACKEND_ALIASES",
    "ChannelLayerManager",
    "ChannelLayerWrapper",
    "channel_layers",
    "get_channel_layer",
]
