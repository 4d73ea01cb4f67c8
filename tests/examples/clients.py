"""A visitor of an example site without a browser: an HTTP client that keeps its cookies and
opens WebSockets with them, the way a browser on the site's own page would."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

#: Seconds any one HTTP request or WebSocket step may take.
TIMEOUT = 10.0


class Visitor:
    """One person on ``site``: cookies kept across requests and sent with WebSockets."""

    def __init__(self, site: Any) -> None:
        self.site = site
        self.http = httpx.Client(base_url=site.url, timeout=TIMEOUT)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Visitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def csrf_token(self, path: str) -> str:
        """GET ``path`` (a page with a form) and return its CSRF form token."""
        page = self.http.get(path)
        assert page.status_code == 200, f"GET {path} answered {page.status_code}: {page.text}"
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert found, f"no CSRF token in the form at {path}:\n{page.text}"
        return found[1]

    def post_form(self, path: str, data: dict[str, str]) -> httpx.Response:
        """Submit the form at ``path`` as a browser would (CSRF token included)."""
        token = self.csrf_token(path)
        return self.http.post(path, data={**data, "csrfmiddlewaretoken": token})

    def websocket(self, path: str, origin: str | None = "site") -> ClientConnection:
        """A WebSocket to ``path`` with this visitor's cookies; ``Origin`` is the site's own
        unless given (``None``: no ``Origin`` header, as a script would connect)."""
        cookies = "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())
        headers = {"Cookie": cookies} if cookies else {}
        return connect(
            self.site.ws_url.rstrip("/") + path,
            origin=self.site.origin if origin == "site" else origin,  # type: ignore[arg-type]
            additional_headers=headers,
            open_timeout=TIMEOUT,
            close_timeout=TIMEOUT,
        )


def receive_json(socket: ClientConnection) -> Any:
    """The next frame of ``socket``, decoded from JSON (within ``TIMEOUT`` seconds)."""
    return json.loads(socket.recv(timeout=TIMEOUT))
