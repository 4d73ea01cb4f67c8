"""A deployment of its own per test, on a ``redis-server`` of its own, for injecting faults:
restarting Redis, killing workers, leaving clients. Everything is stopped by pid afterwards."""

from __future__ import annotations

import contextlib
import json
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import running_under_ci
from tests.e2e.conftest import (
    STOP_TIMEOUT,
    ServerProcess,
    redis_env,
    start_daphne,
)
from tests.e2e.conftest import start_worker as launch_worker
from tests.layers.redis_servers import RedisServer, redis_server_binary

ROUTING = "tests.faults.routing.channel_routing"
URLCONF = "tests.faults.views"
PREFIX = "faults:"


@dataclass
class FaultSite:
    """A ``redis-server``, daphne and workers; start and stop them as a test needs."""

    redis: RedisServer
    env: dict[str, str]
    effect_file: Path
    daphne: ServerProcess | None = None
    port: int = 0
    workers: list[ServerProcess] = field(default_factory=list)
    processes: list[ServerProcess] = field(default_factory=list)

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start_daphne(self) -> ServerProcess:
        self.daphne, self.port = start_daphne(self.env)
        self.processes.append(self.daphne)
        return self.daphne

    def start_worker(self, threads: int = 2) -> ServerProcess:
        """A ``runworker`` with ``threads`` sync threads, once it receives."""
        worker = launch_worker(self.env, f"runworker-{len(self.processes)}", threads)
        self.processes.append(worker)
        self.workers.append(worker)
        return worker

    def effects(self) -> list[str]:
        """The marks the ``effect`` view left: one per run."""
        if not self.effect_file.exists():
            return []
        return self.effect_file.read_text(encoding="utf-8").split()

    def group_members(self, group: str) -> list[bytes]:
        """The members the layer holds for ``group`` (read straight from Redis)."""
        client = self.redis.client()
        try:
            return sorted(client.hkeys(f"{PREFIX}group:{group}"))
        finally:
            client.close()

    def output(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.output()}" for p in self.processes)


@pytest.fixture
def fault_site(tmp_path: Path) -> Iterator[Any]:
    """``fault_site(workers=2, settings={...})``: a fresh redis-server, daphne and workers."""
    if redis_server_binary() is None:
        reason = "redis-server is not on PATH; install it (apt-get install redis-server)"
        if running_under_ci():
            pytest.fail(f"redis-server is required under CI: {reason}", pytrace=False)
        pytest.skip(reason)
    made: list[FaultSite] = []

    def make(
        workers: int = 2, settings: dict[str, Any] | None = None, threads: int = 2
    ) -> FaultSite:
        server = RedisServer().start()
        env = redis_env(tmp_path, server.url, PREFIX, capacity=1000)
        effect_file = tmp_path / f"effects-{len(made)}.txt"
        env.update(
            {
                "CHANNELS_TEST_ROUTING": ROUTING,
                "CHANNELS_TEST_URLCONF": URLCONF,
                "CHANNELS_TEST_SETTINGS": json.dumps(settings or {}),
                "FAULTS_EFFECT_FILE": str(effect_file),
            }
        )
        site = FaultSite(server, env, effect_file)
        made.append(site)
        for _ in range(workers):
            site.start_worker(threads)
        site.start_daphne()
        return site

    yield make
    for site in made:
        # Shown with a failing test's captured output: what each process said.
        print(site.output())
        for process in site.processes:
            with contextlib.suppress(ProcessLookupError, OSError):
                process.send_signal(signal.SIGTERM)
        for process in site.processes:
            with contextlib.suppress(AssertionError):
                process.wait(STOP_TIMEOUT)
            process.cleanup()
        site.redis.cleanup()
