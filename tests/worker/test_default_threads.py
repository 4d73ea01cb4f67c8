"""A worker's default thread pool: its size is the documented one, and every thread takes
work while messages wait (sync consumers waiting on I/O overlap)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from channels.asgi import channel_layers
from channels.management.commands.runworker import Command as RunworkerCommand
from channels.message import Message
from channels.routing import route
from channels.worker import DEFAULT_THREADS, Worker
from tests.workers import routed, running_worker

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_default_is_sixteen_threads_as_documented() -> None:
    assert DEFAULT_THREADS == 16
    parser = RunworkerCommand().create_parser("manage.py", "runworker")
    assert parser.parse_args([]).threads == DEFAULT_THREADS
    workers = " ".join((DOCS / "workers.rst").read_text().split())
    assert "Threads for sync consumers (default 16;" in workers
    assert "A worker therefore runs **16** threads by default" in workers
    with routed([route("jobs", lambda message: None)]):
        assert Worker(channel_layers["default"]).threads == DEFAULT_THREADS


def test_every_default_thread_runs_a_waiting_consumer_at_once() -> None:
    # Each consumer waits until all of them run: only a pool whose every thread took a
    # message while the others were busy gets past the barrier.
    everyone = threading.Barrier(DEFAULT_THREADS + 1, timeout=10)
    threads_seen: set[str] = set()

    def waits(message: Message) -> None:
        threads_seen.add(threading.current_thread().name)
        everyone.wait()

    with routed([route("waits", waits)], CONFIG={"capacity": 1000}):
        layer: Any = channel_layers["default"]
        with running_worker(layer):
            for number in range(DEFAULT_THREADS):
                layer.send("waits", {"n": number})
            everyone.wait()
    assert len(threads_seen) == DEFAULT_THREADS
