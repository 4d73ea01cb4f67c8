"""Channels 4's WebSocket origin validators (beside the 1.x decorators in
``security.websockets``).

::

    application = ProtocolTypeRouter({
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(routes))),
    })

:class:`OriginValidator` lets a handshake through when its ``Origin`` matches one of
``allowed_origins``: ``"*"`` (anything, also no ``Origin``), a host (``"example.com"``,
``"example.com:8000"``), a host and its subdomains (``".example.com"``), or an origin with its
scheme (``"https://example.com"``, ``"http://localhost:8000"``; without a port, the scheme's
default). A handshake without ``Origin`` passes only with ``"*"``. Others are refused: the
handshake gets HTTP 403. :class:`AllowedHostsOriginValidator` takes ``ALLOWED_HOSTS`` as the
list (under ``DEBUG`` with an empty list: localhost). The parsing is
:mod:`channels.security.origins`'.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.http.request import split_domain_port
from django.utils.http import is_same_domain

from .origins import Origin, allowed_hosts, origin_header, parse_origin


def _host_matches(origin: Origin, pattern: str) -> bool:
    host, port = split_domain_port(pattern.lower())
    if not host:
        return False
    if port and int(port) != origin.effective_port:
        return False
    return is_same_domain(origin.host, host)


def origin_matches(origin: Origin, pattern: str) -> bool:
    """Whether ``origin`` is allowed by one ``allowed_origins`` entry."""
    if pattern == "*":
        return True
    if "://" not in pattern:
        return _host_matches(origin, pattern)
    parts = urlsplit(pattern)
    if parts.scheme.lower() != origin.scheme:
        return False
    wanted = Origin(parts.scheme.lower(), "", None).effective_port
    host, port = split_domain_port(parts.netloc.lower())
    if (int(port) if port else wanted) != origin.effective_port:
        return False
    return bool(host) and is_same_domain(origin.host, host)


async def deny_websocket(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Refuse a WebSocket handshake: the server answers it with HTTP 403."""
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close"})


class OriginValidator:
    """Lets through WebSocket handshakes whose ``Origin`` matches ``allowed_origins``."""

    def __init__(self, application: Any, allowed_origins: Iterable[str]) -> None:
        if isinstance(allowed_origins, str):
            raise TypeError(
                f"allowed_origins must be a list of patterns, got the str {allowed_origins!r}"
            )
        self.application = application
        self.allowed_origins = list(allowed_origins)

    def patterns(self) -> list[str]:
        """The patterns in force (read at each handshake by subclasses)."""
        return self.allowed_origins

    def valid_origin(self, raw: bytes | None) -> bool:
        """Whether an ``Origin`` header value (None: no header) passes."""
        patterns = self.patterns()
        if "*" in patterns:
            return True
        origin = parse_origin(raw)
        return origin is not None and any(origin_matches(origin, p) for p in patterns)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            raise ValueError(
                f"{type(self).__name__} checks WebSocket handshakes only; it got a "
                f"{scope['type']!r} connection: put it under ProtocolTypeRouter's 'websocket'"
            )
        if self.valid_origin(origin_header(scope.get("headers"))):
            return await self.application(scope, receive, send)
        return await deny_websocket(scope, receive, send)


class AllowedHostsOriginValidator(OriginValidator):
    """An :class:`OriginValidator` whose patterns are ``ALLOWED_HOSTS`` (read at each
    handshake, so ``override_settings`` applies)."""

    def __init__(self, application: Any) -> None:
        super().__init__(application, [])

    def patterns(self) -> list[str]:
        return allowed_hosts()


__all__ = ["AllowedHostsOriginValidator", "OriginValidator", "deny_websocket", "origin_matches"]
