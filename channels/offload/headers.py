"""Header lists for proxied requests and responses: normalising and dropping hop-by-hop
headers.

Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection, not the message: a proxy must
not pass them on. That covers the fixed list below plus every name the ``Connection``
header itself lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: Headers that only mean something on one connection.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
    }
)

HeaderList = list[list[bytes]]


def _as_bytes(value: Any, what: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        try:
            return value.encode("latin-1")
        except UnicodeEncodeError:
            raise ValueError(
                f"header {what} {value!r} is not latin-1; encode it (e.g. RFC 8187) first"
            ) from None
    raise TypeError(f"header {what}s must be str or bytes, got {type(value).__name__}: {value!r}")


def normalise_headers(headers: Mapping[Any, Any] | Iterable[Any] | None) -> HeaderList:
    """``headers`` (a dict, or ``(name, value)`` pairs; str or bytes) as ``[name, value]``
    byte pairs with lower-case names, the form messages carry."""
    if headers is None:
        return []
    items: Iterable[Any] = headers.items() if isinstance(headers, Mapping) else headers
    if isinstance(items, str | bytes):
        raise TypeError(f"headers must be a dict or a list of (name, value) pairs, got {items!r}")
    result = []
    for item in items:
        try:
            name, value = item
        except (TypeError, ValueError):
            raise TypeError(f"a header must be a (name, value) pair, got {item!r}") from None
        result.append([_as_bytes(name, "name").lower(), _as_bytes(value, "value")])
    return result


def drop_hop_by_hop(headers: Iterable[Any]) -> HeaderList:
    """``headers`` without hop-by-hop ones, including those named in ``Connection``."""
    pairs = [(bytes(name).lower(), bytes(value)) for name, value in headers]
    named = {
        token.strip().lower()
        for name, value in pairs
        if name == b"connection"
        for token in value.split(b",")
        if token.strip()
    }
    return [[name, value] for name, value in pairs if name not in HOP_BY_HOP and name not in named]


__all__ = ["HOP_BY_HOP", "drop_hop_by_hop", "normalise_headers"]
