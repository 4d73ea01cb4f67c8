"""Fixtures for the bridge tests: a real daphne subprocess serving the bridge over Redis, and
the test process playing the worker on the same key prefix.

``start_bridge(**options)`` starts ``daphne tests.interface.app:application`` on a free port
(daphne picks it: ``-p 0``; its log line tells us which) and stops it after the test. Its
output is printed at teardown, which pytest shows only when the test failed.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from channels.layers.redis import RedisChannelLayer

ROOT = Path(__file__).resolve().parents[2]

#: How long daphne may take to start listening, and to exit after SIGTERM.
STARTUP_DEADLINE = 20.0
SHUTDOWN_DEADLINE = 10.0
#: How long the worker (the test) waits for a message the bridge should have sent.
RECEIVE_DEADLINE = 10.0

#: The ``start_bridge`` fixture's type.
StartBridge = Callable[..., "DaphneServer"]

_LISTENING = re.compile(r"Listening on TCP address 127\.0\.0\.1:(\d+)")


class DaphneServer:
    """A ``daphne`` subprocess serving ``tests.interface.app:application``."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.lines: list[str] = []
        self.port: int | None = None
        self._listening = threading.Event()
        self.process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        """``ws://127.0.0.1:PORT``."""
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> DaphneServer:
        """Start daphne and wait (up to ``STARTUP_DEADLINE``) until it says where it listens."""
        command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", "0"]
        self.process = subprocess.Popen(
            [*command, "tests.interface.app:application"],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        self._reader = threading.Thread(target=self._read, name="daphne-output", daemon=True)
        self._reader.start()
        # The reader also sets the event when daphne's output ends (it exited early).
        if not self._listening.wait(STARTUP_DEADLINE) or self.port is None:
            self.stop()
            raise RuntimeError(
                f"daphne did not report a listening port within {STARTUP_DEADLINE} s; "
                f"its output:\n{self.output()}"
            )
        return self

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            found = _LISTENING.search(line)
            if found and self.port is None:
                self.port = int(found.group(1))
                self._listening.set()
        self._listening.set()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if daphne has not exited within ``SHUTDOWN_DEADLINE``."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(SHUTDOWN_DEADLINE)
            except subprocess.TimeoutExpired:
                self.lines.append(f"[test] daphne ignored SIGTERM for {SHUTDOWN_DEADLINE} s\n")
                process.kill()
                process.wait(SHUTDOWN_DEADLINE)
        if self._reader is not None:
            self._reader.join(SHUTDOWN_DEADLINE)
        if process.stdout is not None:
            process.stdout.close()

    def output(self) -> str:
        """Everything daphne printed so far."""
        return "".join(self.lines)


@pytest.fixture
def start_bridge(redis_url: str, redis_prefix: str) -> Iterator[StartBridge]:
    """``start_bridge(http_timeout=..., websocket_connect_timeout=..., max_request_body_size=...,
    channel_capacity={...}, client_name=...)``: a running daphne serving the bridge on this
    test's Redis prefix. Stopped (and its output printed) at teardown."""
    servers: list[DaphneServer] = []

    def start(
        *,
        http_timeout: float | None = None,
        websocket_connect_timeout: float | None = None,
        max_request_body_size: int | None = None,
        channel_capacity: dict[str, int] | None = None,
        client_name: str | None = None,
    ) -> DaphneServer:
        env = {
            key: value for key, value in os.environ.items() if not key.startswith("CHANNELS_TEST_")
        }
        env["CHANNELS_TEST_REDIS_URL"] = redis_url
        env["CHANNELS_TEST_PREFIX"] = redis_prefix
        settings: dict[str, Any] = {
            "HTTP_TIMEOUT": http_timeout,
            "WEBSOCKET_CONNECT_TIMEOUT": websocket_connect_timeout,
            "MAX_REQUEST_BODY_SIZE": max_request_body_size,
            "CHANNEL_CAPACITY": json.dumps(channel_capacity) if channel_capacity else None,
            "CLIENT_NAME": client_name,
        }
        for name, value in settings.items():
            if value is not None:
                env[f"CHANNELS_TEST_{name}"] = str(value)
        server = DaphneServer(env)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()
        print(f"---- daphne output (port {server.port}) ----\n{server.output()}")


@pytest.fixture
async def worker(redis_url: str, redis_prefix: str) -> AsyncIterator[RedisChannelLayer]:
    """The test's side of the layer: it receives what the bridge sends and replies."""
    layer = RedisChannelLayer(hosts=[redis_url], prefix=redis_prefix)
    yield layer
    await layer.aclose()


async def next_message(
    layer: RedisChannelLayer, channel: str, deadline: float = RECEIVE_DEADLINE
) -> dict[str, Any]:
    """The next message on ``channel``; fails the test if none arrives within ``deadline``."""
    started = time.monotonic()
    name, message = await layer.areceive([channel], block=True, timeout=deadline)
    if name is None:
        pytest.fail(
            f"nothing arrived on {channel!r} within {time.monotonic() - started:.1f} s",
            pytrace=False,
        )
    assert message is not None
    return message
