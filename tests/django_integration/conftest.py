"""Fixtures for the Django-side tests: a fresh in-memory layer per test, a worker running in a
thread, and helpers that play the interface server (send messages as
``docs/message-spec.rst`` describes them, read replies).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.test.utils import override_settings

from channels.asgi import ChannelLayerWrapper, channel_layers
from channels.signals import worker_ready
from channels.worker import Worker

ROUTING = "tests.project.routing.channel_routing"
INMEMORY = "channels.layers.inmemory.InMemoryChannelLayer"


@pytest.fixture
def wrapper() -> Iterator[ChannelLayerWrapper]:
    """The ``default`` layer of a fresh in-memory ``CHANNEL_LAYERS``, with the project routing."""
    with override_settings(CHANNEL_LAYERS={"default": {"BACKEND": INMEMORY, "ROUTING": ROUTING}}):
        yield channel_layers["default"]


def routed(routing: Any, **config: Any) -> Any:
    """``override_settings`` for an in-memory default layer with this ``routing``."""
    return override_settings(
        CHANNEL_LAYERS={"default": {"BACKEND": INMEMORY, "ROUTING": routing, **config}}
    )


@contextmanager
def running_worker(layer: Any, **options: Any) -> Iterator[Worker]:
    """A Worker running in a thread until the block ends; waits until it is receiving."""
    options.setdefault("signal_handlers", False)
    worker = Worker(layer, **options)
    ready = threading.Event()

    def on_ready(sender: Any, **kwargs: Any) -> None:
        if sender is worker:
            ready.set()

    worker_ready.connect(on_ready, weak=False)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            worker.run()
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
            ready.set()

    thread = threading.Thread(target=run, name="test-worker", daemon=True)
    thread.start()
    try:
        assert ready.wait(10), "the worker did not start within 10 s"
        assert not errors, errors
        yield worker
    finally:
        worker_ready.disconnect(on_ready)
        worker.stop()
        thread.join(15)
        assert not thread.is_alive(), "the worker did not stop within 15 s"
    assert not errors, errors


def new_notify(layer: Any) -> tuple[str, str]:
    """A process-specific channel for consumers to report on: ``(channel, prefix)``."""
    channel = layer.new_channel("test.notify!")
    return channel, channel[: channel.index("!") + 1]


def receive(layer: Any, prefix: str, timeout: float = 10.0) -> tuple[str, dict[str, Any]]:
    """The next message under ``prefix``; fails the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"nothing arrived on {prefix!r} within {timeout} s"
        channel, message = layer.receive([prefix], block=True, timeout=remaining)
        if channel is not None:
            return channel, message


def receive_many(layer: Any, prefix: str, count: int, timeout: float = 10.0) -> list[dict]:
    """``count`` messages under ``prefix`` within ``timeout`` seconds in all."""
    deadline = time.monotonic() + timeout
    return [
        receive(layer, prefix, max(deadline - time.monotonic(), 0.001))[1] for _ in range(count)
    ]


def http_request(layer: Any, path: str, **content: Any) -> tuple[dict[str, Any], str]:
    """An ``http.request`` message as an interface server sends it, and its reply prefix."""
    reply = layer.new_channel("http.response.test!")
    query = b""
    if "?" in path:
        path, _, raw = path.partition("?")
        query = raw.encode()
    message = {
        "reply_channel": reply,
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "query_string": query,
        "root_path": "",
        "headers": [[b"host", b"testserver"]],
        "body": b"",
        "client": ["127.0.0.1", 50000],
        "server": ["testserver", 80],
    }
    message.update(content)
    return message, reply[: reply.index("!") + 1]


def read_response(
    layer: Any, prefix: str, timeout: float = 10.0
) -> tuple[int, dict[bytes, bytes], bytes]:
    """``(status, headers, body)`` of a whole response on a reply prefix."""
    _channel, first = receive(layer, prefix, timeout)
    replies = [first]
    while replies[-1].get("more_content"):
        replies.append(receive(layer, prefix, timeout)[1])
    headers = {bytes(k).lower(): bytes(v) for k, v in first.get("headers", [])}
    return first["status"], headers, b"".join(r.get("content", b"") for r in replies)


Waiter = Callable[[float], bool]
