"""A Flask-like WSGI application written against PEP 3333 alone, served by
``WsgiConsumer`` in the tests (``tests.wsgi.app.channel_routing``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import parse_qs

from channels.routing import route
from channels.wsgi import WsgiConsumer

Environ = dict[str, Any]
StartResponse = Callable[..., Any]


def hello(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    name = parse_qs(environ["QUERY_STRING"]).get("name", ["world"])[0]
    body = f"Hello, {name}!".encode()
    start_response(
        "200 OK",
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("X-App", "raw-wsgi"),
            ("Set-Cookie", "seen=1; Path=/"),
            ("Set-Cookie", "theme=dark; Path=/"),
        ],
    )
    return [body]


def echo(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    data = {
        key: environ.get(key)
        for key in (
            "REQUEST_METHOD",
            "SCRIPT_NAME",
            "PATH_INFO",
            "QUERY_STRING",
            "CONTENT_TYPE",
            "CONTENT_LENGTH",
            "SERVER_PROTOCOL",
            "HTTP_X_CUSTOM",
            "REMOTE_ADDR",
            "wsgi.url_scheme",
        )
    }
    data["body"] = body.decode("utf-8")
    data["wsgi.version"] = list(environ["wsgi.version"])
    start_response("201 Created", [("Content-Type", "application/json")])
    return [json.dumps(data).encode()]


class GatedStream:
    """Yields ``first``, waits until the test writes to the ``gate`` FIFO, yields the rest;
    ``close()`` reports on the ``closed`` FIFO."""

    def __init__(self, gate: str, closed: str) -> None:
        self.gate = gate
        self.closed = closed

    def __iter__(self) -> Iterator[bytes]:
        yield b"first\n"
        with open(self.gate) as gate:  # blocks until the test opens it for writing
            gate.read()
        yield b"second\n"
        yield b"last\n"

    def close(self) -> None:
        with open(self.closed, "w") as closed:
            closed.write("closed")


def stream(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    query = parse_qs(environ["QUERY_STRING"])
    start_response("200 OK", [("Content-Type", "text/plain")])
    return GatedStream(query["gate"][0], query["closed"][0])


def legacy_write(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"written, ")
    return [b"then returned"]


def fail(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    raise RuntimeError("this WSGI view always fails")


ROUTES = {
    "/hello": hello,
    "/echo": echo,
    "/stream": stream,
    "/write": legacy_write,
    "/fail": fail,
}


def application(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """Dispatches on ``PATH_INFO`` like a micro-framework; 404 otherwise."""
    view = ROUTES.get(environ["PATH_INFO"])
    if view is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no such page"]
    return view(environ, start_response)


channel_routing = [route("http.request", WsgiConsumer(application))]
