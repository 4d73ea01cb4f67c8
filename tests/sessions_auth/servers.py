"""The test site as deployed: ``daphne tests.project.asgi:channel_layer`` plus ``runworker``
subprocesses on Redis, routed to this package (``CHANNELS_TEST_ROUTING``/``_URLCONF``)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.django_integration.runworker_process import RunworkerProcess

ROOT = Path(__file__).resolve().parents[2]
STARTUP_DEADLINE = 30.0
SHUTDOWN_DEADLINE = 15.0

DAPHNE = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", "0"]
_LISTENING = re.compile(r"Listening on TCP address 127\.0\.0\.1:(\d+)")


def site_env(prefix: str, redis_url: str, db: Path, **settings: Any) -> dict[str, str]:
    """The environment of every process of the site (see tests/project/settings.py)."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "tests.project.settings",
        "CHANNELS_TEST_LAYER": "redis",
        "CHANNELS_TEST_REDIS_PREFIX": prefix,
        "CHANNELS_TEST_CAPACITY": "1000",
        "REDIS_URL": redis_url,
        "CHANNELS_TEST_DB": str(db),
        "CHANNELS_TEST_ROUTING": "tests.sessions_auth.routing.channel_routing",
        "CHANNELS_TEST_URLCONF": "tests.sessions_auth.urls",
        "CHANNELS_TEST_SETTINGS": json.dumps(settings),
    }


def manage(env: dict[str, str], *args: str, timeout: float = 120.0) -> str:
    """``python -m django ARGS`` to completion; its output, or the test fails with it."""
    result = subprocess.run(
        [sys.executable, "-m", "django", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        pytest.fail(f"django {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


class Daphne:
    """``daphne -p 0 tests.project.asgi:channel_layer``; the port comes from its log line."""

    def __init__(self, env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.port: int | None = None
        self._listening = threading.Event()
        self.process = subprocess.Popen(
            [*DAPHNE, "tests.project.asgi:channel_layer"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._listening.wait(STARTUP_DEADLINE) or self.port is None:
            self.stop()
            raise AssertionError(f"daphne did not start listening:\n{self.output}")

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            found = _LISTENING.search(line)
            if found and self.port is None:
                self.port = int(found.group(1))
                self._listening.set()
        self._listening.set()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(SHUTDOWN_DEADLINE)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(SHUTDOWN_DEADLINE)
        self._reader.join(SHUTDOWN_DEADLINE)
        if self.process.stdout is not None:
            self.process.stdout.close()


class Site:
    """A running site: ``http_url``/``ws_url`` of daphne, and its worker processes."""

    def __init__(self, daphne: Daphne, workers: list[RunworkerProcess], prefix: str) -> None:
        self.daphne = daphne
        self.workers = workers
        self.prefix = prefix
        self.http_url = f"http://127.0.0.1:{daphne.port}"
        self.ws_url = f"ws://127.0.0.1:{daphne.port}"

    def output(self) -> str:
        parts = [f"---- daphne ----\n{self.daphne.output}"]
        parts += [f"---- worker {i} ----\n{w.output}" for i, w in enumerate(self.workers)]
        return "\n".join(parts)


@contextmanager
def running_site(env: dict[str, str], workers: int = 2) -> Iterator[Site]:
    """daphne plus ``workers`` runworker processes (4 threads each) on ``env``."""
    started: list[RunworkerProcess] = []
    daphne: Daphne | None = None
    site: Site | None = None
    saved = dict(os.environ)
    try:
        # RunworkerProcess takes its environment from os.environ, with the layer on top.
        os.environ.update({k: v for k, v in env.items() if k.startswith("CHANNELS_TEST_")})
        for _ in range(workers):
            started.append(
                RunworkerProcess(
                    env["CHANNELS_TEST_REDIS_PREFIX"],
                    env["REDIS_URL"],
                    "--threads",
                    "4",
                    capacity=int(env["CHANNELS_TEST_CAPACITY"]),
                )
            )
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        for worker in started:
            worker.wait_ready()
        daphne = Daphne(env)
        site = Site(daphne, started, env["CHANNELS_TEST_REDIS_PREFIX"])
        yield site
    finally:
        if daphne is not None:
            daphne.stop()
        for worker in started:
            try:
                worker.terminate()
            finally:
                worker.__exit__()
        if site is not None:
            print(site.output())
