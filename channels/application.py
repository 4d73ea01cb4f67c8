"""The ASGI application of a Django project's channel layer: the bridge, configured from
settings.

``daphne myproject.asgi:channel_layer`` serves the object ``get_channel_layer()`` returns;
that wrapper hands each connection to the bridge built here.

Settings (all optional):

``CHANNELS_HTTP_TIMEOUT``
    Seconds to wait for a worker's response before answering 503 (default 60).
``CHANNELS_WEBSOCKET_CONNECT_TIMEOUT``
    Seconds to wait for a consumer to answer ``websocket.connect`` (default 5).
``CHANNELS_MAX_REQUEST_BODY_SIZE``
    Request bodies over this many bytes are refused with 413 (default: no limit).
``CHANNELS_CHECK_ORIGIN``
    Refuse (HTTP 403) every WebSocket handshake whose ``Origin`` names a host outside
    ``ALLOWED_HOSTS`` (or ``CSRF_TRUSTED_ORIGINS``), before any consumer runs (default
    True). A handshake without ``Origin`` passes. See :mod:`channels.security.origins`.
``CHANNELS_HEARTBEAT_INTERVAL``
    Seconds between this interface server's heartbeats, which ``manage.py channels status``
    reads, and from which interface servers learn which workers are alive (default 1; None
    publishes none). Workers read it too.
``CHANNELS_METRICS_ADDRESS``
    ``HOST:PORT`` to serve this interface server's Prometheus metrics on, a socket of its
    own (default None: no metrics). Needs ``pip install 'channels-classic[metrics]'``.
``CHANNELS_ACCESS_LOG``
    Log every request and WebSocket event to the ``channels.access`` logger (default False:
    daphne, uvicorn and hypercorn keep access logs of their own, so each request is logged
    once; ``runserver``, whose daphne keeps none, always logs them).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .interface import Bridge
from .operations_checks import operations_setting_problems
from .security.origins import origin_allowed

DEFAULTS = {
    "CHANNELS_HTTP_TIMEOUT": 60.0,
    "CHANNELS_WEBSOCKET_CONNECT_TIMEOUT": 5.0,
    "CHANNELS_MAX_REQUEST_BODY_SIZE": None,
    "CHANNELS_CHECK_ORIGIN": True,
    "CHANNELS_HEARTBEAT_INTERVAL": 1.0,
    "CHANNELS_METRICS_ADDRESS": None,
    "CHANNELS_ACCESS_LOG": False,
}


def setting(name: str) -> Any:
    """A ``CHANNELS_*`` setting, or its default."""
    return getattr(settings, name, DEFAULTS[name])


def make_bridge(
    wrapper: Any,
    *,
    http_timeout: float | None = None,
    websocket_connect_timeout: float | None = None,
    access_log: bool = False,
) -> Bridge:
    """The bridge for a layer wrapper; arguments that are None come from settings.
    ``access_log``: see :class:`~channels.interface.bridge.Bridge` (runserver's is on)."""
    problems = operations_setting_problems()
    if problems:
        raise ImproperlyConfigured("; ".join(message for _, message in problems))
    return Bridge(
        wrapper.channel_layer,
        http_timeout=http_timeout or setting("CHANNELS_HTTP_TIMEOUT"),
        websocket_connect_timeout=(
            websocket_connect_timeout or setting("CHANNELS_WEBSOCKET_CONNECT_TIMEOUT")
        ),
        max_request_body_size=setting("CHANNELS_MAX_REQUEST_BODY_SIZE"),
        # Reads CHANNELS_CHECK_ORIGIN and ALLOWED_HOSTS at each handshake, so changing
        # them (override_settings in tests) needs no new bridge.
        origin_allowed=origin_allowed,
        heartbeat_interval=setting("CHANNELS_HEARTBEAT_INTERVAL"),
        metrics_address=setting("CHANNELS_METRICS_ADDRESS"),
        access_log=access_log or bool(setting("CHANNELS_ACCESS_LOG")),
    )


def start_interface(wrapper: Any) -> None:
    """Build the bridge ``wrapper`` serves (as its first connection would) and start its
    heartbeat and metrics now: an ASGI server that imported the project's ``asgi.py`` is
    listed by ``manage.py channels status``, and scrapeable, before any traffic."""
    wrapper.interface.start()
