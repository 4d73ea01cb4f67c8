"""The ASGI application the interface tests run under daphne, configured from the environment.

``daphne tests.interface.app:application`` serves ``Bridge(RedisChannelLayer(...))`` with:

``CHANNELS_TEST_REDIS_URL``
    The Redis server (default ``redis://127.0.0.1:6379``).
``CHANNELS_TEST_PREFIX``
    The layer's key prefix: the test's own, so its worker (the test process) shares it.
``CHANNELS_TEST_HTTP_TIMEOUT``, ``CHANNELS_TEST_WEBSOCKET_CONNECT_TIMEOUT``
    Seconds, as floats (defaults: the bridge's).
``CHANNELS_TEST_MAX_REQUEST_BODY_SIZE``
    Bytes (default: no limit).
``CHANNELS_TEST_CHANNEL_CAPACITY``
    A JSON object of channel name (glob) to capacity, e.g. ``{"http.request": 1}``.
``CHANNELS_TEST_CLIENT_NAME``
    The name every Redis connection of this process gives itself (``CLIENT SETNAME``), so a
    test can find this process's connections in ``CLIENT LIST``.

Nothing here imports Django: the bridge must not need it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from channels.interface import Bridge
from channels.layers.redis import RedisChannelLayer


def _float(environ: Mapping[str, str], name: str) -> float | None:
    value = environ.get(name)
    return float(value) if value else None


def build_application(environ: Mapping[str, str] = os.environ) -> Bridge:
    """The bridge and its Redis layer, as the ``CHANNELS_TEST_*`` variables describe them."""
    connection_kwargs: dict[str, Any] = {}
    if environ.get("CHANNELS_TEST_CLIENT_NAME"):
        connection_kwargs["client_name"] = environ["CHANNELS_TEST_CLIENT_NAME"]
    capacity = environ.get("CHANNELS_TEST_CHANNEL_CAPACITY")
    layer = RedisChannelLayer(
        hosts=[environ.get("CHANNELS_TEST_REDIS_URL", "redis://127.0.0.1:6379")],
        prefix=environ.get("CHANNELS_TEST_PREFIX", "asgi:"),
        channel_capacity=json.loads(capacity) if capacity else None,
        connection_kwargs=connection_kwargs,
    )
    options: dict[str, Any] = {}
    http_timeout = _float(environ, "CHANNELS_TEST_HTTP_TIMEOUT")
    if http_timeout is not None:
        options["http_timeout"] = http_timeout
    connect_timeout = _float(environ, "CHANNELS_TEST_WEBSOCKET_CONNECT_TIMEOUT")
    if connect_timeout is not None:
        options["websocket_connect_timeout"] = connect_timeout
    max_body = environ.get("CHANNELS_TEST_MAX_REQUEST_BODY_SIZE")
    if max_body:
        options["max_request_body_size"] = int(max_body)
    return Bridge(layer, **options)


application = build_application()
