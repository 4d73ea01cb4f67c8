"""What a worker's HTTP reply must look like before the bridge writes it to the client."""

from __future__ import annotations

from typing import Any


class MalformedReply(ValueError):
    """A worker's reply is not a valid HTTP response message."""


def check_first_reply(reply: dict[str, Any]) -> tuple[int, list[tuple[bytes, bytes]]]:
    """The status and headers of a response's first reply; MalformedReply if it has none
    valid (str header names and values are taken as latin-1)."""
    status = reply.get("status")
    if type(status) is not int or not 100 <= status <= 999:
        raise MalformedReply(f"the first reply needs an int 'status', got {status!r}")
    headers = []
    for header in reply.get("headers") or []:
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
        headers.append((name, value))
    return status, headers


def content_of(reply: dict[str, Any]) -> bytes:
    """A reply's ``content`` (bytes; none is empty)."""
    content = reply.get("content", b"")
    if not isinstance(content, bytes):
        raise MalformedReply(f"'content' must be bytes, got {type(content).__name__}")
    return content


__all__ = ["MalformedReply", "check_first_reply", "content_of"]
