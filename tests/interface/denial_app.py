"""A raw ASGI application for the denial response tests of our daphne-based server: what it
does with a WebSocket handshake depends on the path.

``/deny/``
    401 with ``WWW-Authenticate`` and a body in two events (``more_body``), then more events
    after the response finished (the server ignores them).
``/close/``
    ``websocket.close`` before accepting (HTTP 403).
``/bad-status/``, ``/bad-header/``, ``/body-first/``, ``/accept-after-start/``
    Malformed denials (a string status, a str header, a body before the start, an accept
    after the start): the server answers 500.
``/crash/``
    Sends a start, then raises before the body: daphne's own 500.
``/after-accept/``
    Accepts, then sends a start (ignored, logged), then the frame ``"still open"``.
``/extensions/``
    Accepts and sends ``scope["extensions"]`` as JSON.
"""

from __future__ import annotations

import json
from typing import Any

from channels.types import Receive, Scope, Send

START = "websocket.http.response.start"
BODY = "websocket.http.response.body"
DENIAL = {
    "type": START,
    "status": 401,
    "headers": [(b"www-authenticate", b'Bearer realm="chat"'), (b"content-type", b"text/plain")],
}

SCRIPTS: dict[str, list[dict[str, Any]]] = {
    "/deny/": [
        DENIAL,
        {"type": BODY, "body": b"sign in ", "more_body": True},
        {"type": BODY, "body": b"first"},
        {"type": BODY, "body": b"ignored"},
        {"type": "websocket.close"},
    ],
    "/close/": [{"type": "websocket.close"}],
    "/bad-status/": [{"type": START, "status": "401"}, {"type": BODY, "body": b""}],
    "/bad-header/": [{"type": START, "status": 401, "headers": [("x-name", "value")]}],
    "/body-first/": [{"type": BODY, "body": b"too soon"}],
    "/accept-after-start/": [{"type": START, "status": 401}, {"type": "websocket.accept"}],
    "/crash/": [{"type": START, "status": 401}],
    "/after-accept/": [
        {"type": "websocket.accept"},
        {"type": START, "status": 401},
        {"type": "websocket.send", "text": "still open"},
    ],
}


async def application(scope: Scope, receive: Receive, send: Send) -> None:
    """Play the script of ``scope["path"]``, then wait for the socket to end."""
    if scope["type"] != "websocket":
        return
    assert (await receive())["type"] == "websocket.connect"
    if scope["path"] == "/extensions/":
        script = [
            {"type": "websocket.accept"},
            {"type": "websocket.send", "text": json.dumps(scope.get("extensions"))},
        ]
    else:
        script = SCRIPTS[scope["path"]]
    for event in script:
        await send(event)
    if scope["path"] == "/crash/":
        raise RuntimeError("the application failed halfway through its denial")
    while (await receive())["type"] != "websocket.disconnect":
        pass
