"""WebSocket close codes, by name (RFC 6455 §7.4.1 and the IANA registry).

Servers may send only 1000 and 1001-1014 of the protocol's own codes, or 3000-4999; daphne
accepts fewer (1000 and 3000-4999 only), so :func:`daphne_safe` maps the others into the
4000 range, keeping the last digits readable (1011 → 4011).
"""

from __future__ import annotations

#: The connection did its job.
NORMAL_CLOSURE = 1000
#: The server is going away (restarting, or the page is closing).
GOING_AWAY = 1001
#: The peer broke the protocol.
PROTOCOL_ERROR = 1002
#: Never sent: the connection closed without a close frame.
ABNORMAL_CLOSURE = 1006
#: A message broke the application's rules (also: a refused handshake, under ASGI).
POLICY_VIOLATION = 1008
#: A message was too big to accept.
MESSAGE_TOO_BIG = 1009
#: The server met an unexpected condition (a consumer raised).
INTERNAL_ERROR = 1011
#: The server is overloaded: try again later.
TRY_AGAIN_LATER = 1013


def is_application_code(code: object) -> bool:
    """Whether ``code`` is one an application may choose for its own close: 1000, or one
    of the 3000-4999 range that the protocol leaves to libraries and applications."""
    return type(code) is int and (code == NORMAL_CLOSURE or 3000 <= code <= 4999)


def daphne_safe(code: int) -> int:
    """``code`` as daphne will send it: 1000 and 3000-4999 unchanged, any other protocol
    code moved to 4000 + its last three digits (1011 → 4011)."""
    if is_application_code(code):
        return code
    return 4000 + code % 1000


__all__ = [
    "ABNORMAL_CLOSURE",
    "GOING_AWAY",
    "INTERNAL_ERROR",
    "MESSAGE_TOO_BIG",
    "NORMAL_CLOSURE",
    "POLICY_VIOLATION",
    "PROTOCOL_ERROR",
    "TRY_AGAIN_LATER",
    "daphne_safe",
    "is_application_code",
]
