"""Refusing a WebSocket handshake with an HTTP response of the consumer's choosing.

The ASGI WebSocket Denial Response extension lets an application answer
``websocket.connect`` with ``websocket.http.response.start`` (status, headers) and
``websocket.http.response.body`` events, which the server sends as the HTTP response to the
upgrade request. A server that supports it lists ``"websocket.http.response"`` in
``scope["extensions"]``: this package's ``runserver`` and live-server tests do; the plain
``daphne`` command does not, and there the consumers' ``deny()`` falls back to ``close()``,
which the server answers with HTTP 403.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

logger = logging.getLogger("channels.generic")

#: The key of the extension in ``scope["extensions"]``.
EXTENSION = "websocket.http.response"

#: Response headers as ``deny()`` takes them: ``(name, value)`` pairs of str (Latin-1) or bytes.
DenialHeaders = Iterable[tuple[str | bytes, str | bytes]]


def supports_denial(scope: dict[str, Any]) -> bool:
    """Whether the server serving ``scope`` takes denial responses."""
    return EXTENSION in (scope.get("extensions") or {})


def _header_bytes(part: str | bytes, what: str) -> bytes:
    if isinstance(part, bytes):
        return part
    if isinstance(part, str):
        return part.encode("latin-1")
    raise TypeError(f"deny() header {what} must be str or bytes, got {part!r}")


def denial_events(
    status: int, body: str | bytes, headers: DenialHeaders | None
) -> list[dict[str, Any]]:
    """The start and body events of a denial response.

    A str ``body`` is sent as UTF-8 with ``Content-Type: text/plain; charset=utf-8`` unless
    ``headers`` name a content type; ``Content-Length`` is added unless given.
    """
    if type(status) is not int or not 100 <= status <= 599:
        raise ValueError(f"deny() needs an HTTP status from 100 to 599, got {status!r}")
    pairs = [
        (_header_bytes(name, "name").lower(), _header_bytes(value, "value"))
        for name, value in headers or ()
    ]
    names = {name for name, _ in pairs}
    if isinstance(body, str):
        body = body.encode("utf-8")
        if b"content-type" not in names:
            pairs.append((b"content-type", b"text/plain; charset=utf-8"))
    elif not isinstance(body, bytes):
        raise TypeError(f"deny() body must be str or bytes, got {type(body).__name__}")
    if b"content-length" not in names:
        pairs.append((b"content-length", str(len(body)).encode("ascii")))
    return [
        {"type": "websocket.http.response.start", "status": status, "headers": pairs},
        {"type": "websocket.http.response.body", "body": body},
    ]


def check_deniable(consumer: Any, handshake: str | None) -> None:
    """Raise ``RuntimeError`` unless ``consumer``'s handshake is still unanswered
    (``handshake`` is None, not ``"accepted"`` or ``"refused"``)."""
    if handshake == "accepted":
        raise RuntimeError(
            f"{type(consumer).__name__}.deny() answers a handshake, but this socket was already "
            "accepted; use close() to end an open socket"
        )
    if handshake == "refused":
        raise RuntimeError(
            f"{type(consumer).__name__}.deny() called after the handshake was already refused "
            "(by close() or deny()); refuse it once"
        )


def log_fallback(consumer: Any, status: int) -> None:
    """Say (at debug) why a ``deny()`` became a ``close()``."""
    logger.debug(
        "%s.deny(%d) on %s: the server does not list the %r extension in the scope, so the "
        "handshake is refused with close() and the client gets HTTP 403",
        type(consumer).__name__,
        status,
        consumer.scope.get("path"),
        EXTENSION,
    )


def denial_for(
    consumer: Any, status: int, body: str | bytes, headers: DenialHeaders | None
) -> list[dict[str, Any]] | None:
    """What ``consumer.deny(...)`` sends, once checked: the response's events, or None where
    the server cannot send them (the consumer closes instead; logged at debug). Marks the
    handshake refused."""
    check_deniable(consumer, consumer._handshake)
    events = denial_events(status, body, headers)
    consumer._handshake = "refused"
    if not supports_denial(consumer.scope):
        log_fallback(consumer, status)
        return None
    return events
