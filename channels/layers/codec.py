"""Message encoding: msgpack, with validation that names the offending value.

Messages are dicts with str keys whose values are str, bytes, int (signed 64-bit), float, bool,
None, lists (tuples become lists) and dicts. Encoding is also what makes a sent message
independent of the caller's dict: mutating it after ``send`` changes nothing.
"""

from __future__ import annotations

from typing import Any

import msgpack

from ..exceptions import MessageTooLarge


def _find_bad_value(value: Any, path: str) -> str | None:
    """Describe the first value under ``path`` that msgpack cannot carry, or None."""
    if isinstance(value, bool | type(None) | str | bytes | float):
        return None
    if isinstance(value, int):
        if not -(2**63) <= value < 2**64:
            return f"{path} = {value!r} does not fit in 64 bits"
        return None
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _find_bad_value(item, f"{path}[{index}]")
            if found:
                return found
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str | bytes | int):
                return f"{path} has a key {key!r} of type {type(key).__name__}"
            found = _find_bad_value(item, f"{path}[{key!r}]")
            if found:
                return found
        return None
    return f"{path} = {value!r} has type {type(value).__name__}"


def encode_message(message: Any, max_size: int) -> bytes:
    """Validate ``message`` and return its msgpack bytes.

    Raises ``TypeError`` for a non-dict, non-str keys or values msgpack cannot carry, and
    :class:`MessageTooLarge` when the encoding is longer than ``max_size`` bytes.
    """
    if not isinstance(message, dict):
        raise TypeError(f"a message must be a dict, got {type(message).__name__}: {message!r}")
    for key in message:
        if type(key) is not str:
            raise TypeError(f"message keys must be str, got {key!r} in {list(message)!r}")
    try:
        data: bytes = msgpack.packb(message, use_bin_type=True)
    except (TypeError, ValueError, OverflowError) as exc:
        where = _find_bad_value(message, "message") or str(exc)
        raise TypeError(
            f"cannot send this message: {where}; messages may hold only str, bytes, int, "
            "float, bool, None, lists and dicts"
        ) from None
    if len(data) > max_size:
        raise MessageTooLarge(
            f"message is {len(data)} bytes encoded, over the limit of {max_size}; send large "
            "data in chunks or raise the layer's max_message_size"
        )
    return data


def decode_message(data: bytes) -> dict[str, Any]:
    """Return the message dict that :func:`encode_message` encoded as ``data``."""
    message: dict[str, Any] = msgpack.unpackb(data, raw=False, strict_map_key=False)
    return message
