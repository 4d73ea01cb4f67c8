"""``AsyncHttpConsumer``: answer an HTTP request from a Channels 4-style async consumer.

Override ``handle(body)`` and answer with ``send_response`` (all at once) or
``send_headers`` then ``send_body`` chunks (streaming, e.g. server-sent events)::

    class HelloConsumer(AsyncHttpConsumer):
        async def handle(self, body):
            await self.send_response(200, b"hello", headers=[(b"Content-Type", b"text/plain")])

The consumer stays alive while it streams; it may also receive channel layer messages (a
group's ``type`` handler can ``send_body`` more). ``disconnect()`` runs when it ends.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..consumer import AsyncConsumer
from ..exceptions import StopConsumer

Message = dict[str, Any]
HeaderItems = Iterable[tuple[bytes | str, bytes | str]] | Mapping[bytes | str, bytes | str]


def header_list(headers: HeaderItems | None) -> list[tuple[bytes, bytes]]:
    """ASGI response headers from a list of pairs or a dict (str values are encoded)."""
    if headers is None:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    result = []
    for name, value in items:
        result.append(
            (
                name.encode("latin-1") if isinstance(name, str) else bytes(name),
                value.encode("latin-1") if isinstance(value, str) else bytes(value),
            )
        )
    return result


class AsyncHttpConsumer(AsyncConsumer):
    """An async consumer for ``http`` connections: collects the request body, then calls
    ``handle(body)``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.body: list[bytes] = []

    async def send_headers(self, *, status: int = 200, headers: HeaderItems | None = None) -> None:
        """Start the response: the status and headers."""
        await self.send(
            {"type": "http.response.start", "status": status, "headers": header_list(headers)}
        )

    async def send_body(self, body: bytes, *, more_body: bool = False) -> None:
        """Send a chunk of the body; ``more_body`` says that more chunks follow."""
        if not isinstance(body, bytes):
            raise TypeError(f"send_body() takes bytes, got {type(body).__name__}: {body!r:.80}")
        await self.send({"type": "http.response.body", "body": body, "more_body": more_body})

    async def send_response(self, status: int, body: bytes, **kwargs: Any) -> None:
        """Send a whole response: ``send_headers(status=status, **kwargs)`` and the body."""
        await self.send_headers(status=status, **kwargs)
        await self.send_body(body)

    async def handle(self, body: bytes) -> None:
        """Answer the request whose whole body is ``body``; subclasses must override it."""
        raise NotImplementedError(
            f"{type(self).__name__} must define async def handle(self, body) to answer requests"
        )

    async def disconnect(self) -> None:
        """Called when the consumer ends (response done or client gone)."""

    async def http_request(self, message: Message) -> None:
        """Collect body chunks; on the last one, ``handle`` the request and end."""
        if "body" in message:
            self.body.append(message["body"])
        if not message.get("more_body"):
            try:
                await self.handle(b"".join(self.body))
            finally:
                await self.disconnect()
            raise StopConsumer()

    async def http_disconnect(self, message: Message) -> None:
        """The client went away: ``disconnect()`` and end."""
        await self.disconnect()
        raise StopConsumer()


__all__ = ["AsyncHttpConsumer"]
