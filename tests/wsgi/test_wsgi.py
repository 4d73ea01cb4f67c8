"""A raw WSGI application served by ``WsgiConsumer``: through the real deployment
(``daphne tests.project.asgi:channel_layer`` + ``runworker`` over Redis, an httpx client),
and the environ details called directly on an in-memory layer."""

from __future__ import annotations

import json
import os
import select
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from channels.layers.inmemory import InMemoryChannelLayer
from channels.message import Message
from channels.wsgi import WsgiConsumer
from tests.offload.daphne_process import ProjectDaphne
from tests.runworker_process import RunworkerProcess

from .app import application

CLIENT_TIMEOUT = 20.0
ROUTING = {"CHANNELS_TEST_ROUTING": "tests.wsgi.app.channel_routing"}


@pytest.fixture(scope="module")
def served(redis_url: str) -> Iterator[str]:
    """The base URL of daphne relaying to one runworker whose routing is the WSGI app."""
    url = redis_url
    prefix = f"test:wsgi:{uuid.uuid4().hex}:"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in ROUTING.items():
            patch.setenv(name, value)
        worker = RunworkerProcess(prefix, url, "--threads", "2")
    from channels.layers.redis import RedisChannelLayer

    layer = RedisChannelLayer(hosts=[url], prefix=prefix)
    try:
        with worker, ProjectDaphne(prefix, url, ROUTING) as daphne:
            worker.wait_ready()
            yield daphne.url
            assert worker.process.poll() is None, f"the worker died:\n{worker.output}"
            assert worker.terminate() == 0, worker.output
    finally:
        layer.flush()
        layer.close()


@pytest.fixture
def client(served: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served, timeout=CLIENT_TIMEOUT) as http:
        yield http


@pytest.mark.redis
def test_wsgi_app_answers_with_its_status_and_headers(client: httpx.Client) -> None:
    response = client.get("/hello", params={"name": "Grace"})
    assert response.status_code == 200
    assert response.text == "Hello, Grace!"
    assert response.headers["x-app"] == "raw-wsgi"
    assert response.headers.get_list("set-cookie") == ["seen=1; Path=/", "theme=dark; Path=/"]


@pytest.mark.redis
def test_wsgi_app_reads_a_post_body_and_the_environ(client: httpx.Client) -> None:
    response = client.post(
        "/echo?a=1&b=%C3%A9",
        content=b'{"x": "caf\xc3\xa9"}',
        headers={"Content-Type": "application/json", "X-Custom": "yes"},
    )
    assert response.status_code == 201
    seen = response.json()
    assert seen["REQUEST_METHOD"] == "POST"
    assert seen["PATH_INFO"] == "/echo"
    assert seen["SCRIPT_NAME"] == ""
    assert seen["QUERY_STRING"] == "a=1&b=%C3%A9"
    assert seen["CONTENT_TYPE"] == "application/json"
    assert seen["CONTENT_LENGTH"] == "14"
    assert seen["HTTP_X_CUSTOM"] == "yes"
    assert seen["REMOTE_ADDR"] == "127.0.0.1"
    assert seen["wsgi.url_scheme"] == "http"
    assert seen["wsgi.version"] == [1, 0]
    assert json.loads(seen["body"]) == {"x": "café"}


@pytest.mark.redis
def test_wsgi_app_streams_its_iterable_and_is_closed(client: httpx.Client, tmp_path: Any) -> None:
    gate, closed = tmp_path / "gate", tmp_path / "closed"
    os.mkfifo(gate)
    os.mkfifo(closed)
    # Opened (non-blocking) before the app can write to it, so the app's open() succeeds.
    closed_fd = os.open(closed, os.O_RDONLY | os.O_NONBLOCK)
    try:
        params = {"gate": str(gate), "closed": str(closed)}
        with client.stream("GET", "/stream", params=params) as response:
            assert response.status_code == 200
            chunks = response.iter_raw()
            # The app is blocked on the gate: this part was streamed.
            assert next(chunks) == b"first\n"
            gate.write_text("go")
            assert b"".join(chunks) == b"second\nlast\n"
        readable, _, _ = select.select([closed_fd], [], [], CLIENT_TIMEOUT)
        assert readable, "the app's iterable was not closed"
        assert os.read(closed_fd, 100) == b"closed"
    finally:
        os.close(closed_fd)


@pytest.mark.redis
def test_wsgi_app_errors_and_unknown_paths(client: httpx.Client) -> None:
    response = client.get("/fail")
    assert (response.status_code, response.text) == (500, "Internal Server Error")
    response = client.get("/nope")
    assert (response.status_code, response.text) == (404, "no such page")
    response = client.get("/write")
    assert (response.status_code, response.text) == (200, "written, then returned")


# -- the environ, without the deployment --------------------------------------------------


def call(consumer: Any, **content: Any) -> tuple[int, dict[bytes, bytes], bytes]:
    layer = InMemoryChannelLayer()
    reply = layer.new_channel("http.response.test!")
    message = {
        "reply_channel": reply,
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": "/",
        "query_string": b"",
        "root_path": "",
        "headers": [[b"host", b"example.com"]],
        "body": b"",
        "client": ["10.0.0.1", 1234],
        "server": ["example.com", 443],
        **content,
    }
    consumer(Message(message, "http.request", layer))
    replies = []
    while not replies or replies[-1].get("more_content"):
        name, got = layer.receive([reply[: reply.index("!") + 1]], block=True, timeout=5)
        assert name is not None, "no reply within 5 s"
        replies.append(got)
    headers = {bytes(k): bytes(v) for k, v in replies[0].get("headers", [])}
    return replies[0]["status"], headers, b"".join(r.get("content", b"") for r in replies)


def test_environ_paths_are_latin1_decoded_utf8_as_pep_3333_says() -> None:
    status, _, body = call(
        WsgiConsumer(application),
        method="POST",
        path="/app/echo",
        root_path="/app",
        query_string=b"q=%E2%82%AC",
    )
    assert status == 201
    seen = json.loads(body)
    assert (seen["SCRIPT_NAME"], seen["PATH_INFO"]) == ("/app", "/echo")
    assert seen["wsgi.url_scheme"] == "https"
    status, _, body = call(WsgiConsumer(application), path="/caf\u00e9")
    assert status == 404  # routed on PATH_INFO "/cafÃ©", the UTF-8 bytes as latin-1


def test_wsgi_consumer_refuses_a_non_callable() -> None:
    with pytest.raises(TypeError, match="needs a WSGI application"):
        WsgiConsumer("tests.wsgi.app.application")  # type: ignore[arg-type]
