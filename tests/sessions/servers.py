"""The test site as deployed: ``daphne tests.project.asgi:channel_layer`` plus ``runworker``
subprocesses on Redis, routed to this package (``CHANNELS_TEST_ROUTING``/``_URLCONF``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.daphne_server import DaphneServer
from tests.runworker_process import RunworkerProcess

ROOT = Path(__file__).resolve().parents[2]


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
        "CHANNELS_TEST_ROUTING": "tests.sessions.routing.channel_routing",
        "CHANNELS_TEST_URLCONF": "tests.sessions.urls",
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


class Site:
    """A running site: ``http_url``/``ws_url`` of daphne, and its worker processes."""

    def __init__(self, daphne: DaphneServer, workers: list[RunworkerProcess], prefix: str) -> None:
        self.daphne = daphne
        self.workers = workers
        self.prefix = prefix
        self.http_url = f"http://127.0.0.1:{daphne.port}"
        self.ws_url = f"ws://127.0.0.1:{daphne.port}"

    def output(self) -> str:
        parts = [f"---- daphne ----\n{self.daphne.output()}"]
        parts += [f"---- worker {i} ----\n{w.output}" for i, w in enumerate(self.workers)]
        return "\n".join(parts)


@contextmanager
def running_site(env: dict[str, str], workers: int = 2) -> Iterator[Site]:
    """daphne plus ``workers`` runworker processes (4 threads each) on ``env``."""
    started: list[RunworkerProcess] = []
    daphne: DaphneServer | None = None
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
        daphne = DaphneServer(env, "tests.project.asgi:channel_layer").start()
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
