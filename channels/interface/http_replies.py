"""What a worker's HTTP reply must look like before the bridge writes it to the client."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class MalformedReply(ValueError):
    """A worker's reply is not a valid HTTP response message."""


def check_first_reply(reply: dict[str, Any]) -> tuple[int, Sequence[Sequence[bytes]]]:
    """The status and headers of a response's first reply; MalformedReply if it has none
    valid (str header names and values are taken as latin-1)."""
    status = reply.get("status")
    if type(status) is not int or not 100 <= status <= 999:
        raise MalformedReply(f"the first reply needs an int 'status', got {status!r}")
    headers = reply.get("headers") or []
    if type(headers) is list:
        for header in headers:
            if not (
                type(header) in _PAIRS
                and len(header) == 2
                and type(header[0]) is bytes
                and type(header[1]) is bytes
            ):
                break
        else:
            # The usual reply (msgpack gives lists of bytes pairs): handed on as it is.
            return status, headers
    return status, _coerced(headers)


_PAIRS = (list, tuple)


def _coerced(headers: Any) -> list[tuple[bytes, bytes]]:
    pairs = []
    for header in headers:
        try:
            name, value = header
        except (TypeError, ValueError):
            raise MalformedReply(f"a header must be a [name, value] pair, got {header!r}") from None
        if isinstance(name, str):
            name = name.encode("latin-1")
        if isinstance(value, str):
            value = value.encode("latin-1")
        if not isinstance(name, bytes) or not isinstance(value, bytes):
            raise MalformedReply(f"header names and values must be bytes, got {header!r}")
        pairs.append((name, value))
    return pairs


def content_of(reply: dict[str, Any]) -> bytes:
    """A reply's ``content`` (bytes; none is empty)."""
    content = reply.get("content", b"")
    if not isinstance(content, bytes):
        raise MalformedReply(f"'content' must be bytes, got {type(content).__name__}")
    return content


__all__ = ["MalformedReply", "check_first_reply", "content_of"]
