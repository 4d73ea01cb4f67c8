"""Security for WebSockets: origin checks against cross-site WebSocket hijacking.

The bridge checks every handshake's ``Origin`` by default
(:func:`~channels.security.origins.origin_allowed`); the validators of
:mod:`channels.security.websockets` add stricter, per-consumer checks. See
``docs/security.rst``.
"""

from .origins import origin_allowed
from .websockets import (
    AllowedHostsOnlyOriginValidator,
    BaseOriginValidator,
    OriginValidator,
    allowed_hosts_only,
)

__all__ = [
    "AllowedHostsOnlyOriginValidator",
    "BaseOriginValidator",
    "OriginValidator",
    "allowed_hosts_only",
    "origin_allowed",
]
