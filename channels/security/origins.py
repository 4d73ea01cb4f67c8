"""What an ``Origin`` header says, and the check every WebSocket handshake goes through.

Browsers send ``Origin`` (the page's scheme, host and port) with every WebSocket handshake,
and they send the site's cookies with it whatever page opened the socket. Without a check, any
web page a logged-in user visits could open a socket to the site *as that user* and read what
comes back: cross-site WebSocket hijacking. Unlike ``fetch()``, WebSockets are not bound by the
same-origin policy and CSRF protection does not cover them.

:func:`origin_allowed` is the default check: the bridge calls it before a ``websocket.connect``
message is sent, so a refused socket never reaches a consumer. It passes

* a handshake with no ``Origin`` at all: not a browser (scripts, mobile apps, servers), so not
  a cross-site attack;
* an ``Origin`` whose host is in ``ALLOWED_HOSTS`` (with ``DEBUG`` and an empty
  ``ALLOWED_HOSTS``: ``localhost``, ``127.0.0.1``, ``[::1]``, as Django allows);
* an ``Origin`` listed in ``CSRF_TRUSTED_ORIGINS`` (Django already trusts those pages).

Anything else (another host, ``null``, an unparseable or non-ASCII value) is refused with
HTTP 403. ``CHANNELS_CHECK_ORIGIN = False`` turns the check off.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

#: What ``ALLOWED_HOSTS = []`` means under ``DEBUG`` (Django's own rule for ``Host``).
DEBUG_HOSTS = [".localhost", "127.0.0.1", "[::1]"]


class Origin(NamedTuple):
    """A parsed ``Origin``: ``scheme`` and ``host`` lower-cased (IPv6 in brackets), ``port``
    an int or None when the origin names none."""

    scheme: str
    host: str
    port: int | None

    @property
    def effective_port(self) -> int | None:
        """The port, or the scheme's default port."""
        if self.port is not None:
            return self.port
        return {"http": 80, "ws": 80, "https": 443, "wss": 443}.get(self.scheme)


def origin_header(headers: Iterable[Any] | Mapping[Any, Any] | None) -> bytes | None:
    """The raw value of the first ``Origin`` header, or None when there is none.

    ``headers`` is an ASGI/message header list (``[[name, value], ...]``, bytes or str) or a
    dict of them.
    """
    if not headers:
        return None
    items = headers.items() if isinstance(headers, Mapping) else headers
    for name, value in items:
        if isinstance(name, str):
            name = name.encode("latin-1")
        if bytes(name).lower() == b"origin":
            return value.encode("latin-1") if isinstance(value, str) else bytes(value)
    return None


def parse_origin(raw: bytes | str | None) -> Origin | None:
    """The :class:`Origin` in a header value, or None when it is missing, empty, ``null``,
    not ASCII, or not ``scheme://host[:port]``."""
    if raw is None:
        return None
    try:
        text = raw.decode("ascii") if isinstance(raw, bytes) else raw.encode("ascii").decode()
    except UnicodeError:
        return None
    text = text.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc or "@" in parts.netloc:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    host, port = split_domain_port(parts.netloc)
    if not host:
        return None
    return Origin(parts.scheme.lower(), host, int(port) if port else None)


def allowed_hosts() -> list[str]:
    """``ALLOWED_HOSTS``, or :data:`DEBUG_HOSTS` under ``DEBUG`` when it is empty."""
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        return list(DEBUG_HOSTS)
    return hosts


def host_allowed(origin: Origin) -> bool:
    """Whether the origin's host is one ``ALLOWED_HOSTS`` accepts."""
    return bool(validate_host(origin.host, allowed_hosts()))


def csrf_trusted(origin: Origin) -> bool:
    """Whether the origin is in ``CSRF_TRUSTED_ORIGINS`` (``https://*.example.com`` style
    patterns included)."""
    netloc = origin.host if origin.port is None else f"{origin.host}:{origin.port}"
    for trusted in getattr(settings, "CSRF_TRUSTED_ORIGINS", ()):
        parts = urlsplit(trusted)
        if parts.scheme.lower() != origin.scheme:
            continue
        pattern = parts.netloc.lower()
        if "*" in pattern:
            if is_same_domain(netloc, pattern.lstrip("*")):
                return True
        elif pattern == netloc:
            return True
    return False


def origin_allowed(scope: Mapping[str, Any]) -> bool:
    """The default check of a WebSocket handshake's ASGI ``scope`` (see the module
    docstring). Always true when ``CHANNELS_CHECK_ORIGIN`` is false."""
    if not getattr(settings, "CHANNELS_CHECK_ORIGIN", True):
        return True
    raw = origin_header(scope.get("headers"))
    if raw is None:
        return True
    origin = parse_origin(raw)
    return origin is not None and (host_allowed(origin) or csrf_trusted(origin))


__all__ = [
    "DEBUG_HOSTS",
    "Origin",
    "allowed_hosts",
    "csrf_trusted",
    "host_allowed",
    "origin_allowed",
    "origin_header",
    "parse_origin",
]
