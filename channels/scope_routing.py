"""Channels 4's routers: ASGI applications that pick an inner application per connection.

::

    application = ProtocolTypeRouter({
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter([
            re_path(r"ws/chat/(?P<room_name>\\w+)/$", ChatConsumer.as_asgi()),
        ]))),
    })

* :class:`ProtocolTypeRouter` by ``scope["type"]`` (``http``, ``websocket``, ``channel``).
* :class:`URLRouter` by path, with Django's ``path()``/``re_path()``; captured values land in
  ``scope["url_route"]`` (``{"args": ..., "kwargs": ...}``); a ``URLRouter`` may be routed
  to with a prefix (``path("chat/", URLRouter([...]))``). A path no route matches is refused:
  an HTTP 404, a WebSocket handshake closed (HTTP 403 from the server), and a warning logged.
* :class:`ChannelNameRouter` by ``scope["channel"]``, for ``runworker`` channels.

These are re-exported by :mod:`channels.routing`, beside the 1.x ``route``/``include``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls.resolvers import RegexPattern, RoutePattern, URLPattern, URLResolver
from django.utils.module_loading import import_string

from . import layer_provider  # noqa: F401 - installs get_channel_layer()'s provider

logger = logging.getLogger("channels.routing")

#: Scope key of the application that takes connections no router here has a route for
#: (set by :class:`channels.serving.WorkerFallback`: the 1.x routes, through workers).
FALLBACK_SCOPE_KEY = "channels.fallback"


def get_default_application() -> Any:
    """The application named by ``settings.ASGI_APPLICATION`` (a dotted path)."""
    path = getattr(settings, "ASGI_APPLICATION", None)
    if not path:
        raise ImproperlyConfigured(
            "ASGI_APPLICATION is not set; set it to your application's dotted path, e.g. "
            "ASGI_APPLICATION = 'myproject.asgi.application'"
        )
    try:
        return import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"cannot import ASGI_APPLICATION {path!r}: {exc}") from exc


class MappingRouter:
    """Routes each connection by one scope key (``key``) through ``application_mapping``."""

    key = "type"

    def __init__(self, application_mapping: Mapping[str, Any]) -> None:
        self.application_mapping = dict(application_mapping)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        value = scope.get(self.key)
        application = self.application_mapping.get(value)  # type: ignore[arg-type]
        if application is None and FALLBACK_SCOPE_KEY in scope:
            application = scope[FALLBACK_SCOPE_KEY]
        if application is None:
            raise ValueError(
                f"{type(self).__name__} has no application for {self.key} {value!r} (scope "
                f"type {scope.get('type')!r}); it routes {sorted(self.application_mapping)!r}"
            )
        return await application(scope, receive, send)


class ProtocolTypeRouter(MappingRouter):
    """Routes each connection to ``application_mapping[scope["type"]]``."""


async def refuse(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answer a connection no route wants: HTTP 404, or a refused WebSocket handshake (or
    hand it to the scope's fallback application, when there is one)."""
    fallback = scope.get(FALLBACK_SCOPE_KEY)
    if fallback is not None:
        await fallback(scope, receive, send)
    elif scope["type"] == "http":
        await send(
            {
                "type": "http.response.start",
                "status": 404,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")],
            }
        )
        await send({"type": "http.response.body", "body": b"Not Found"})
    elif scope["type"] == "websocket":
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.close", "code": 1000})
    else:
        raise ValueError(f"no route found for path {scope.get('path')!r}")


def _endpoint_pattern(pattern: Any, endpoint: bool) -> Any:
    """A copy of a ``path()``/``re_path()`` pattern that matches a whole path (``endpoint``)
    or only a prefix (a nested router's)."""
    if isinstance(pattern, RoutePattern):
        return RoutePattern(pattern._route, pattern.name, is_endpoint=endpoint)
    if isinstance(pattern, RegexPattern):
        return RegexPattern(pattern._regex, pattern.name, is_endpoint=endpoint)
    return pattern


class URLRouter:
    """Routes by ``scope["path"]`` with a list of Django ``path()``/``re_path()`` entries
    whose views are ASGI applications (``Consumer.as_asgi()``, another ``URLRouter``)."""

    def __init__(self, routes: list[Any]) -> None:
        self.routes: list[tuple[Any, Any, dict[str, Any]]] = []
        for route in routes:
            if isinstance(route, URLResolver):
                raise ImproperlyConfigured(
                    f"URLRouter does not take include() ({route!r}); route to a nested "
                    "URLRouter instead: path('prefix/', URLRouter([...]))"
                )
            if not isinstance(route, URLPattern):
                raise ImproperlyConfigured(
                    f"URLRouter takes path() and re_path() entries, got {route!r}"
                )
            callback = route.callback
            if isinstance(callback, type):
                raise ImproperlyConfigured(
                    f"the route {str(route.pattern)!r} names the class {callback.__name__}; "
                    f"route to {callback.__name__}.as_asgi() instead"
                )
            nested = isinstance(callback, URLRouter)
            pattern = _endpoint_pattern(route.pattern, endpoint=not nested)
            self.routes.append((pattern, callback, dict(route.default_args)))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        path = scope.get("path_remaining")
        if path is None:
            path = scope.get("path")
            if path is None:
                raise ValueError(f"URLRouter needs a 'path' in the scope, got {sorted(scope)!r}")
            root_path = scope.get("root_path", "")
            if root_path and path.startswith(root_path):
                path = path[len(root_path) :]
        # Django's own resolver matches patterns against the path without its leading "/".
        path = path.lstrip("/")
        for pattern, application, default_args in self.routes:
            match = pattern.match(path)
            if match is None:
                continue
            remaining, args, kwargs = match
            outer = scope.get("url_route", {"args": (), "kwargs": {}})
            scope = dict(
                scope,
                url_route={
                    "args": tuple(outer["args"]) + tuple(args),
                    "kwargs": {**outer["kwargs"], **kwargs, **default_args},
                },
            )
            if isinstance(application, URLRouter):
                scope["path_remaining"] = remaining
            return await application(scope, receive, send)
        if FALLBACK_SCOPE_KEY not in scope:
            logger.warning("No route found for %s path %r", scope["type"], scope.get("path"))
        return await refuse(scope, receive, send)


class ChannelNameRouter(MappingRouter):
    """Routes ``channel`` connections (messages ``runworker`` receives on named channels)
    to ``application_mapping[scope["channel"]]``; put it under ProtocolTypeRouter's
    ``"channel"`` key."""

    key = "channel"


__all__ = [
    "ChannelNameRouter",
    "ProtocolTypeRouter",
    "URLRouter",
    "get_default_application",
]
