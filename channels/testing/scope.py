"""The parts of a test connection's scope that HTTP and WebSocket share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urlsplit


def base_scope(
    kind: str, path: str, headers: Iterable[tuple[bytes, bytes]] | None
) -> dict[str, Any]:
    """``type``, ``path`` (decoded), ``raw_path``, ``query_string`` and ``headers`` of a
    connection to ``path`` (which may carry a ``?query``)."""
    if not isinstance(path, str):
        raise TypeError(f"the path must be a str like '/ws/chat/', got {path!r}")
    parts = urlsplit(path)
    return {
        "type": kind,
        "path": unquote(parts.path),
        "raw_path": parts.path.encode("latin-1", "replace"),
        "query_string": parts.query.encode("latin-1", "replace"),
        "root_path": "",
        "headers": [(bytes(name), bytes(value)) for name, value in (headers or [])],
        "client": ["127.0.0.1", 0],
        "server": ["testserver", 80],
    }
