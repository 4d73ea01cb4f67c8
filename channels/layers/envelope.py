"""How the Redis layer stores a message: a small header, then the (maybe encrypted) body.

Layout (shared with the Lua scripts in ``lua/common.lua``)::

    8 bytes    expiry time, big-endian double, Unix seconds
    targets    comma-separated full channel names; only for process-specific queues, where one
               stored copy may serve several group members of the same prefix
    b"\\0"
    body       msgpack bytes, Fernet-encrypted when symmetric_encryption_keys is set
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Sequence

from .names import is_process_specific

_EXPIRY = struct.Struct(">d")


def expiry_header(expires_at: float) -> bytes:
    """The 8-byte header that starts every stored element."""
    return _EXPIRY.pack(expires_at)


def pack(expires_at: float, channel: str, body: bytes) -> bytes:
    """The element for one message to ``channel``."""
    targets = channel.encode("ascii") if is_process_specific(channel) else b""
    return _EXPIRY.pack(expires_at) + targets + b"\0" + body


def unpack(queue: str, element: bytes) -> tuple[float, list[str], bytes]:
    """Split an element popped from ``queue`` into (expiry, channel names, body)."""
    (expires_at,) = _EXPIRY.unpack_from(element)
    end = element.index(b"\0", 8)
    targets = element[8:end]
    names = targets.decode("ascii").split(",") if targets else [queue]
    return expires_at, names, element[end + 1 :]


class Encryptor:
    """Fernet encryption of message bodies with key rotation.

    ``keys`` are secrets of any length (str or bytes). The first one encrypts; all of them
    decrypt, so a new key goes first and old ones stay until their messages have expired.
    """

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        try:
            from cryptography.fernet import Fernet, MultiFernet
        except ImportError:
            raise ImportError(
                "symmetric_encryption_keys needs the cryptography package: "
                "pip install 'channels-classic[crypto]'"
            ) from None
        if isinstance(keys, str | bytes) or not keys:
            raise ValueError(
                f"symmetric_encryption_keys must be a non-empty list of secrets, got {keys!r}"
            )
        fernets = []
        for key in keys:
            raw = key.encode("utf-8") if isinstance(key, str) else key
            # Any secret becomes a valid 32-byte Fernet key.
            fernets.append(Fernet(base64.urlsafe_b64encode(hashlib.sha256(raw).digest())))
        self._fernet = MultiFernet(fernets)

    def encrypt(self, body: bytes) -> bytes:
        return self._fernet.encrypt(body)

    def decrypt(self, body: bytes) -> bytes:
        return self._fernet.decrypt(body)
