"""End-to-end fixtures: real servers in subprocesses on free ports, spoken to over real sockets.

- :class:`ServerProcess` runs a command, collects its output line by line and waits for a line
  matching a pattern (always with a deadline). Every process still running when a test fails
  has the tail of its output attached to the failure report.
- ``runserver_site``: ``python -m django runserver 127.0.0.1:0 --noreload`` on the in-memory
  layer with DEBUG on (one per session).
- ``redis_site``: ``python -m daphne ... tests.project.asgi:channel_layer`` plus two
  ``python -m django runworker`` on one Redis prefix (one per session).
- ``site``: each of the two in turn, for the cases both deployments must pass.
- ``deployment``: a factory for a daphne + runworker set of this test's own, for the tests
  that kill, restart or starve workers.

All subprocesses use the test project with ``tests.project.e2e_routing`` and
``tests.project.e2e_urls``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.conftest import delete_keys_under
from tests.processes import OutputProcess
from tests.runworker_process import READY_LINE

ROOT = Path(__file__).resolve().parents[2]

ROUTING = "tests.project.e2e_routing.channel_routing"
URLCONF = "tests.project.e2e_urls"

#: Printed by ``runserver`` once it listens; with port 0 it names the real port.
RUNSERVER_BANNER = r"Starting Channels development server at http://127\.0\.0\.1:(\d+)/"
#: Printed by daphne once it listens.
DAPHNE_LISTENING = r"Listening on TCP address 127\.0\.0\.1:(\d+)"

#: How long a server may take to start (Django import, checks, binding).
START_TIMEOUT = 30.0
#: How long a server may take to exit after a signal.
STOP_TIMEOUT = 20.0

#: Processes started and not yet cleaned up, and those cleaned up during the current test:
#: their output goes into a failed test's report.
_RUNNING: list[ServerProcess] = []
_CLEANED: list[ServerProcess] = []


class ServerProcess(OutputProcess):
    """A server or worker of the test project; listed for failed tests' reports."""

    def __init__(
        self, name: str, command: list[str], env: dict[str, str], *, own_group: bool = False
    ) -> None:
        super().__init__(name, command, env, own_group=own_group)
        _RUNNING.append(self)

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self, last: int | None = None) -> str:
        return self.tail(last)

    def line_count(self) -> int:
        with self._changed:
            return len(self.lines)

    def send_signal(self, signum: int, *, group: bool = False) -> None:
        if self.process.poll() is not None:
            return
        if group:
            os.killpg(self.process.pid, signum)
        else:
            self.process.send_signal(signum)

    def wait(self, timeout: float = STOP_TIMEOUT) -> int:
        """The exit status; fails (and kills the process) after ``timeout`` seconds."""
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"{self.name} did not exit within {timeout} s; output:\n{self.output(80)}"
            ) from None
        self._reader.join(10)
        return code

    def stop(self, signum: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        """Send ``signum`` and wait for the exit status."""
        self.send_signal(signum)
        return self.wait(timeout)

    def kill(self) -> None:
        """SIGKILL the process (its whole group, when it has one of its own)."""
        if self.own_group:
            # Also reaches an autoreloader's child left behind by its parent.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
        elif self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def cleanup(self) -> None:
        """Kill it if it still runs, and release the pipe."""
        if self.process.poll() is None or self.own_group:
            self.kill()
        self._reader.join(10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        if self in _RUNNING:
            _RUNNING.remove(self)
            _CLEANED.append(self)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    """Attach the output of every server subprocess to a failed test's report."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.failed:
        for process in _CLEANED + _RUNNING:
            state = process.process.poll()
            status = "running" if state is None else f"exited with {state}"
            report.sections.append(
                (f"{process.name} (pid {process.pid}, {status})", process.output(last=150))
            )
    if call.when == "teardown":
        _CLEANED.clear()


# -- building subprocesses of the test project ----------------------------------------------


def project_env(tmp_dir: Path, *, settings: dict[str, Any] | None = None, **extra: str) -> dict:
    """The environment of a test-project subprocess: e2e routing and URLs, its own database."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CHANNELS_TEST_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": "tests.project.settings",
            "CHANNELS_TEST_ROUTING": ROUTING,
            "CHANNELS_TEST_URLCONF": URLCONF,
            "CHANNELS_TEST_DB": str(tmp_dir / "e2e.sqlite3"),
            "CHANNELS_TEST_SETTINGS": json.dumps(settings or {}),
        }
    )
    env.update(extra)
    return env


def redis_env(tmp_dir: Path, redis_url: str, prefix: str, **options: Any) -> dict:
    """:func:`project_env` on the Redis layer under ``prefix``."""
    capacity = str(options.pop("capacity", 100))
    return project_env(
        tmp_dir,
        CHANNELS_TEST_LAYER="redis",
        CHANNELS_TEST_REDIS_PREFIX=prefix,
        CHANNELS_TEST_CAPACITY=capacity,
        REDIS_URL=redis_url,
        **options,
    )


def start_runserver(
    tmp_dir: Path,
    *args: str,
    address: str = "127.0.0.1:0",
    settings: dict[str, Any] | None = None,
    own_group: bool = False,
) -> ServerProcess:
    """``python -m django runserver ADDRESS ARGS`` (in-memory layer)."""
    command = [sys.executable, "-m", "django", "runserver", address, *args]
    return ServerProcess(
        "runserver", command, project_env(tmp_dir, settings=settings), own_group=own_group
    )


def start_daphne(env: dict[str, str]) -> tuple[ServerProcess, int]:
    """Daphne serving ``tests.project.asgi:channel_layer`` on a free port; (process, port)."""
    command = [
        sys.executable,
        "-m",
        "daphne",
        "-b",
        "127.0.0.1",
        "-p",
        "0",
        "tests.project.asgi:channel_layer",
    ]
    process = ServerProcess("daphne", command, env)
    port = int(process.wait_for(DAPHNE_LISTENING, START_TIMEOUT).group(1))
    return process, port


def start_worker(env: dict[str, str], name: str = "runworker", threads: int = 2) -> ServerProcess:
    """``python -m django runworker --threads THREADS``, returned once it is receiving."""
    command = [sys.executable, "-m", "django", "runworker", "--threads", str(threads)]
    process = ServerProcess(name, command, env)
    process.wait_for(re.escape(READY_LINE), START_TIMEOUT)
    return process


def free_port() -> int:
    """A TCP port nothing listens on right now (for servers that must come back on it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- sites --------------------------------------------------------------------------------


@dataclass
class Site:
    """A running deployment: where to reach it, and its processes."""

    name: str
    port: int
    processes: list[ServerProcess] = field(default_factory=list)
    #: The Redis prefix of a Redis deployment (None for runserver).
    prefix: str | None = None
    redis_url: str | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"


@pytest.fixture(scope="session")
def runserver_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """``runserver`` on the in-memory layer with DEBUG on, for the whole session."""
    tmp_dir = tmp_path_factory.mktemp("runserver")
    process = start_runserver(tmp_dir, "--noreload", settings={"DEBUG": True})
    try:
        port = int(process.wait_for(RUNSERVER_BANNER, START_TIMEOUT).group(1))
        yield Site("runserver", port, [process])
        assert process.stop(signal.SIGINT) == 0, process.output(80)
    finally:
        process.cleanup()


@contextlib.contextmanager
def serve_site(name: str, tmp_dir: Path, redis_url: str) -> Iterator[Site]:
    """Daphne plus two runworker processes on a fresh prefix of the Redis (or Redis Cluster)
    at ``redis_url``; stopped (workers must exit cleanly) when the block ends. The caller
    deletes the keys under ``site.prefix``."""
    prefix = f"test:e2e:{uuid.uuid4().hex}:"
    env = redis_env(tmp_dir, redis_url, prefix)
    processes: list[ServerProcess] = []
    try:
        daphne, port = start_daphne(env)
        processes.append(daphne)
        processes += [start_worker(env, f"runworker-{n}") for n in (1, 2)]
        yield Site(name, port, processes, prefix, redis_url)
        for process in processes:
            process.send_signal(signal.SIGTERM)
        # Workers promise a clean exit on SIGTERM; daphne just has to go.
        for process in processes[1:]:
            assert process.wait() == 0, process.output(80)
        daphne.wait()
    finally:
        for process in processes:
            process.cleanup()


@pytest.fixture(scope="session")
def redis_site(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str, redis_client: redis.Redis
) -> Iterator[Site]:
    """Daphne plus two runworker processes on one Redis prefix, for the whole session."""
    site = None
    try:
        with serve_site("redis", tmp_path_factory.mktemp("redis-site"), redis_url) as site:
            yield site
    finally:
        if site is not None and site.prefix is not None:
            delete_keys_under(redis_client, site.prefix)


@pytest.fixture(
    scope="session", params=["runserver", pytest.param("redis", marks=pytest.mark.redis)]
)
def site(request: pytest.FixtureRequest) -> Site:
    """Each deployment in turn: runserver (in-memory), then daphne + 2 workers (Redis)."""
    return request.getfixturevalue(f"{request.param}_site")  # type: ignore[no-any-return]


@dataclass
class Deployment:
    """Daphne and workers of one test, on a prefix of its own."""

    env: dict[str, str]
    prefix: str
    daphne: ServerProcess
    port: int
    workers: list[ServerProcess]
    processes: list[ServerProcess]

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start_worker(self) -> ServerProcess:
        worker = start_worker(self.env, f"runworker-{len(self.processes)}")
        self.processes.append(worker)
        self.workers.append(worker)
        return worker


@pytest.fixture
def deployment(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis
) -> Iterator[Callable[..., Deployment]]:
    """``deployment(workers=2, capacity=100, settings={...})``: daphne plus ``workers``
    runworker processes on a fresh prefix; everything is stopped and deleted afterwards."""
    made: list[Deployment] = []
    prefixes: list[str] = []

    def make(
        workers: int = 2, capacity: int = 100, settings: dict[str, Any] | None = None
    ) -> Deployment:
        prefix = f"test:e2e:{uuid.uuid4().hex}:"
        prefixes.append(prefix)
        env = redis_env(tmp_path, redis_url, prefix, capacity=capacity)
        env["CHANNELS_TEST_SETTINGS"] = json.dumps(settings or {})
        daphne, port = start_daphne(env)
        site = Deployment(env, prefix, daphne, port, [], [daphne])
        made.append(site)
        for _ in range(workers):
            site.start_worker()
        return site

    try:
        yield make
    finally:
        for site in made:
            for process in site.processes:
                process.send_signal(signal.SIGTERM)
            for process in site.processes:
                with contextlib.suppress(AssertionError):
                    process.wait(STOP_TIMEOUT)
                process.cleanup()
        for prefix in prefixes:
            delete_keys_under(redis_client, prefix)
