"""The async HTTP client of offloaded fetches: one ``httpx.AsyncClient`` per event loop.

Every fetch on a loop shares its client, so connections to an upstream are pooled and kept
alive across requests. httpx is an optional dependency: ``pip install 'channels-classic[offload]'``.

Client options come from the ``CHANNELS_OFFLOAD_HTTP_CLIENT`` setting (a dict of
``httpx.AsyncClient`` keyword arguments, e.g. ``{"verify": "/etc/ssl/internal-ca.pem"}``),
over these defaults: no limit on connections (the worker's ``--max-concurrency`` bounds
them), 100 kept alive, ``Accept-Encoding: identity`` unless a fetch asks otherwise (bodies
are relayed as they come, so the upstream must not compress what the browser did not ask to
be compressed).
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

INSTALL_HINT = "pip install 'channels-classic[offload]'"

_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()


def require_httpx() -> Any:
    """The ``httpx`` module, or an ``ImportError`` that says how to install it."""
    try:
        import httpx
    except ImportError as exc:
        raise ImportError(
            f"channels.offload.fetch needs the httpx package, which is not installed: "
            f"{INSTALL_HINT} (or pip install httpx) in the environment of the worker that runs "
            "the channels.offload.fetch consumer"
        ) from exc
    return httpx


def client_options() -> dict[str, Any]:
    """Keyword arguments for a new ``httpx.AsyncClient``: defaults, then the setting."""
    from django.conf import settings

    httpx = require_httpx()
    options: dict[str, Any] = {
        "limits": httpx.Limits(max_connections=None, max_keepalive_connections=100),
        "headers": {"accept-encoding": "identity"},
        "follow_redirects": False,
    }
    options.update(getattr(settings, "CHANNELS_OFFLOAD_HTTP_CLIENT", None) or {})
    return options


def get_client() -> Any:
    """The running loop's shared ``httpx.AsyncClient``, made on first use."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None or client.is_closed:
        client = _clients[loop] = require_httpx().AsyncClient(**client_options())
    return client


async def aclose_client() -> None:
    """Close the running loop's client (its pooled connections); a later fetch on this loop
    makes a new one. Call it before closing a loop you ran fetches on yourself."""
    client = _clients.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()


__all__ = ["INSTALL_HINT", "aclose_client", "client_options", "get_client", "require_httpx"]
