"""What ``runserver`` (and a mixed project's ``asgi.py``) serves when ``ASGI_APPLICATION`` is
set: the Channels 4 application in-process, with the 1.x routes behind it.

:class:`WorkerFallback` runs the application for every connection; a connection its routers
have no route for (a ``URLRouter`` miss, a protocol ``ProtocolTypeRouter`` does not list)
goes through the bridge onto the channel layer instead, where ``runworker`` processes (or
runserver's worker threads) run the ``routing.py`` consumers. So one project can keep its
1.x consumers while new code uses the Channels 4 API, and either can be deployed with
``daphne myproject.asgi:application``::

    application = WorkerFallback(ProtocolTypeRouter({...}))
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

from .asgi import channel_layers
from .scope_routing import FALLBACK_SCOPE_KEY, get_default_application

FALLBACK_TYPES = ("http", "websocket")

access = logging.getLogger("channels.access")

#: Daphne's WebSocket actions, in the words of the bridge's access log.
_WEBSOCKET_ACTIONS = {
    "connecting": "HANDSHAKING",
    "connected": "CONNECT",
    "rejected": "REJECT",
    "disconnected": "DISCONNECT",
}


class WorkerFallback:
    """``application`` first; what it does not route goes to the workers of layer
    ``channel_layer_alias`` through ``bridge`` (by default that layer's own bridge)."""

    def __init__(
        self, application: Any, bridge: Any = None, channel_layer_alias: str = "default"
    ) -> None:
        self.application = application
        self.bridge = bridge
        self.channel_layer_alias = channel_layer_alias

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] not in FALLBACK_TYPES:
            return await self.application(scope, receive, send)
        bridge = self.bridge or channel_layers[self.channel_layer_alias]
        original = scope

        async def to_workers(_: dict[str, Any], receive: Any, send: Any) -> None:
            # The routers' scope holds sessions and users: the bridge gets the server's.
            await bridge(original, receive, send)

        return await self.application(
            dict(scope, **{FALLBACK_SCOPE_KEY: to_workers}), receive, send
        )


def server_access_log(protocol: str, action: str, details: dict[str, Any]) -> None:
    """Daphne's access-log hook: every connection ``runserver`` serves, in-process or passed
    to workers, as one line in the format of the bridge's (and Django's) access log."""
    if protocol == "http" and action == "complete":
        access.info(
            '"%s %s HTTP/1.1" %s %s',
            details.get("method"),
            details.get("path"),
            details.get("status"),
            details.get("size"),
            extra={
                "status_code": details.get("status"),
                "duration": details.get("time_taken"),
                "server_access_log": True,
            },
        )
    elif protocol == "websocket" and action in _WEBSOCKET_ACTIONS:
        access.info(
            "WebSocket %s %s [%s]",
            _WEBSOCKET_ACTIONS[action],
            details.get("path"),
            details.get("client"),
            extra={"server_access_log": True},
        )


def only_server_access_log(record: logging.LogRecord) -> bool:
    """A filter for ``channels.access`` while daphne logs every connection itself: the
    bridge's own lines (for connections passed to workers) would repeat them."""
    return bool(getattr(record, "server_access_log", False))


def asgi_application_configured() -> bool:
    """Whether ``settings.ASGI_APPLICATION`` names a Channels 4 application to serve."""
    return bool(getattr(settings, "ASGI_APPLICATION", None))


def runserver_application(bridge: Any, wrapper: Any, serve_static: bool) -> Any:
    """What ``runserver`` serves: the bridge alone (1.x), or ``ASGI_APPLICATION`` with the
    1.x ``ROUTING`` (when the layer has one) behind it and static files in front."""
    if not asgi_application_configured():
        return bridge
    application = get_default_application()
    if bridge is not None and wrapper is not None and wrapper.routing:
        application = WorkerFallback(application, bridge)
    if serve_static:
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

        application = ASGIStaticFilesHandler(application)
    return application


def daphne_order_warnings(names: list[str]) -> list[Any]:
    """System check for a project listing both ``daphne`` and ``channels``: the first one
    owns ``manage.py runserver``. Daphne's serves ``ASGI_APPLICATION`` only, so 1.x routes
    (``ROUTING``) would get no workers under it."""
    from django.core import checks

    if names.index("channels") < names.index("daphne"):
        return []
    routed = [
        alias
        for alias, config in getattr(settings, "CHANNEL_LAYERS", {}).items()
        if isinstance(config, dict) and config.get("ROUTING")
    ]
    if not routed:
        return []
    return [
        checks.Warning(
            f"'daphne' comes before 'channels' in INSTALLED_APPS, so `manage.py runserver` is "
            f"daphne's: it runs no workers for the ROUTING of CHANNEL_LAYERS {routed!r}",
            hint="move 'channels' above 'daphne' in INSTALLED_APPS; this package's runserver "
            "serves ASGI_APPLICATION too, with workers for the 1.x routes",
            id="channels.W003",
        )
    ]


__all__ = [
    "WorkerFallback",
    "asgi_application_configured",
    "daphne_order_warnings",
    "only_server_access_log",
    "runserver_application",
    "server_access_log",
]
