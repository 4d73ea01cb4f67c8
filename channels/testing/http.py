"""``HttpCommunicator``: one HTTP request to an ASGI application, in-process."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from asgiref.testing import ApplicationCommunicator

from .scope import base_scope


class HttpCommunicator(ApplicationCommunicator):
    """Sends one request (``method``, ``path``, ``body``, ``headers``) on
    :meth:`get_response` and collects the response::

        response = await HttpCommunicator(app, "GET", "/hello/").get_response()
        assert response["status"] == 200 and response["body"] == b"hello"
    """

    def __init__(
        self,
        application: Any,
        method: str,
        path: str,
        body: bytes = b"",
        headers: Iterable[tuple[bytes, bytes]] | None = None,
    ) -> None:
        scope = base_scope("http", path, headers)
        scope.update(http_version="1.1", method=method.upper(), scheme="http")
        super().__init__(application, scope)
        if not isinstance(body, bytes):
            raise TypeError(f"body must be bytes, got {type(body).__name__}")
        self.body = body
        self.sent_request = False

    async def get_response(self, timeout: float = 1) -> dict[str, Any]:
        """``{"status", "headers", "body"}`` of the response (every chunk joined); each
        event must arrive within ``timeout`` seconds."""
        if not self.sent_request:
            self.sent_request = True
            await self.send_input({"type": "http.request", "body": self.body})
        start = await self.receive_output(timeout)
        if start["type"] != "http.response.start":
            raise AssertionError(f"expected http.response.start, got {start!r}")
        body = b""
        while True:
            chunk = await self.receive_output(timeout)
            if chunk["type"] != "http.response.body":
                raise AssertionError(f"expected http.response.body, got {chunk!r}")
            body += chunk.get("body", b"")
            if not chunk.get("more_body", False):
                break
        return {"status": start["status"], "headers": start.get("headers", []), "body": body}


__all__ = ["HttpCommunicator"]
