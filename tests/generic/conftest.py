"""A real Worker on a fresh in-memory layer, and a pretend interface server for sockets.

``serve(routing)`` runs a Worker in a thread on a new in-memory ``default`` layer routed with
``routing``; ``Socket`` sends what the interface server sends for one WebSocket
(``websocket.connect``/``receive``/``disconnect`` with ``order``) and reads its replies.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.test.utils import override_settings

from channels.asgi import channel_layers
from channels.signals import worker_ready
from channels.worker import Worker
from tests import deadlines

INMEMORY = "channels.layers.inmemory.InMemoryChannelLayer"
DEADLINE = 10.0


@contextmanager
def serving(routing: Any, **worker_options: Any) -> Iterator[Any]:
    """A fresh in-memory default layer routed with ``routing``, and a Worker running on it."""
    with override_settings(CHANNEL_LAYERS={"default": {"BACKEND": INMEMORY, "ROUTING": routing}}):
        layer = channel_layers["default"]
        worker_options.setdefault("signal_handlers", False)
        worker = Worker(layer, **worker_options)
        ready = threading.Event()
        errors: list[BaseException] = []

        def on_ready(sender: Any, **kwargs: Any) -> None:
            if sender is worker:
                ready.set()

        def run() -> None:
            try:
                worker.run()
            except BaseException as exc:
                errors.append(exc)
                ready.set()

        worker_ready.connect(on_ready, weak=False)
        thread = threading.Thread(target=run, name="generic-test-worker", daemon=True)
        thread.start()
        try:
            assert ready.wait(DEADLINE), "the worker did not start"
            assert not errors, errors
            yield layer
        finally:
            worker_ready.disconnect(on_ready)
            worker.stop()
            thread.join(DEADLINE)
            assert not thread.is_alive(), "the worker did not stop"
        assert not errors, errors


@pytest.fixture
def serve() -> Callable[..., Any]:
    """``with serve(routing) as layer:`` runs a Worker for the block."""
    return serving


def next_message(layer: Any, channel: str, timeout: float = DEADLINE) -> dict[str, Any]:
    """The next message on ``channel`` (a plain or ``prefix!`` name) within ``timeout``."""
    return deadlines.next_message(layer, channel, timeout)


class Socket:
    """One pretend WebSocket: sends its lifecycle messages, reads its reply channel."""

    def __init__(self, layer: Any, path: str = "/", headers: list[list[bytes]] | None = None):
        self.layer = layer
        self.path = path
        self.headers = headers or []
        # A prefix of its own, as if each socket were on its own interface server: reading
        # this socket's replies must never take another's.
        self.reply_channel = layer.new_channel(f"websocket.test{secrets.token_hex(6)}!")
        self.prefix = self.reply_channel[: self.reply_channel.index("!") + 1]
        self.order = 0

    def connect(self, query_string: bytes = b"") -> None:
        self.layer.send(
            "websocket.connect",
            {
                "reply_channel": self.reply_channel,
                "path": self.path,
                "query_string": query_string,
                "headers": self.headers,
                "client": ["127.0.0.1", 50000],
                "server": ["testserver", 80],
                "subprotocols": [],
                "order": 0,
            },
        )

    def send(self, text: str | None = None, bytes: bytes | None = None, order: int | None = None):
        if order is None:
            self.order += 1
            order = self.order
        frame: dict[str, Any] = {"reply_channel": self.reply_channel, "path": self.path}
        frame["order"] = order
        if text is not None:
            frame["text"] = text
        else:
            frame["bytes"] = bytes
        self.layer.send("websocket.receive", frame)

    def send_json(self, content: Any) -> None:
        self.send(text=json.dumps(content))

    def disconnect(self, code: int = 1000, order: int | None = None) -> None:
        if order is None:
            self.order += 1
            order = self.order
        self.layer.send(
            "websocket.disconnect",
            {"reply_channel": self.reply_channel, "path": self.path, "code": code, "order": order},
        )

    def reply(self, timeout: float = DEADLINE) -> dict[str, Any]:
        """The next reply sent to this socket."""
        return next_message(self.layer, self.prefix, timeout)

    def reply_json(self, timeout: float = DEADLINE) -> Any:
        """The next reply's text, JSON-decoded."""
        return json.loads(self.reply(timeout)["text"])
