"""Running an example's commands as a person would, in subprocesses, with deadlines.

:class:`ExampleProcess` starts a command in an example's folder and collects its combined
output line by line; :meth:`~ExampleProcess.wait_for` waits for a line matching a pattern.
:func:`runserver` and :func:`redis_deployment` start the README's two ways of running an
example and return where it listens.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.processes import OutputProcess

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
BIN = Path(sys.executable).parent

#: Printed by ``manage.py runserver`` once it listens; with port 0 it names the real port.
RUNSERVER_BANNER = r"Starting Channels development server at http://(\S+):(\d+)/"
#: Printed by daphne once it listens.
DAPHNE_LISTENING = r"Listening on TCP address (\S+):(\d+)"
#: Printed by ``manage.py runworker`` when it starts receiving.
RUNWORKER_READY = r"Running worker against channel layer"
#: Printed by ``manage.py rundelay`` when it starts receiving.
RUNDELAY_READY = r"Running delay server against channel layer"

#: How long a server may take to start (imports, checks, binding).
START_TIMEOUT = 30.0
#: How long a process may take to exit after a signal.
STOP_TIMEOUT = 20.0
#: How long a one-off command (migrate, check, shell -c) may take.
COMMAND_TIMEOUT = 60.0

#: Processes started and not yet cleaned up; their output goes into failure reports.
RUNNING: list[ExampleProcess] = []


def example_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment for an example's commands: its own SQLite file under ``tmp_path``,
    unbuffered output, and none of the test run's Django or layer settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CHANNELS_"))
    }
    env["DJANGO_DATABASE"] = str(tmp_path / "db.sqlite3")
    env["PYTHONUNBUFFERED"] = "1"
    # The venv's commands (daphne) first, as after activating it.
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def manage(example: str, *args: str) -> list[str]:
    """``python manage.py ARGS`` of an example, with this interpreter."""
    return [sys.executable, "manage.py", *args]


def run_command(example: str, command: list[str], env: dict[str, str]) -> str:
    """Run a one-off command in the example's folder; its output, or a failure naming it."""
    try:
        result = subprocess.run(
            command,
            cwd=EXAMPLES / example,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(
            f"{command!r} in examples/{example} did not finish within {COMMAND_TIMEOUT} s; "
            f"output so far:\n{exc.stdout}\n{exc.stderr}"
        ) from None
    if result.returncode != 0:
        raise AssertionError(
            f"{command!r} in examples/{example} exited with {result.returncode}:\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result.stdout + result.stderr


_MIGRATED: dict[str, Path] = {}
_MIGRATED_LOCK = threading.Lock()


def migrate(example: str, env: dict[str, str]) -> None:
    """``python manage.py migrate`` into ``env``'s database. It runs for real once per example
    and test run; later calls copy that result (migrating SQLite takes seconds)."""
    target = Path(env["DJANGO_DATABASE"])
    with _MIGRATED_LOCK:
        migrated = _MIGRATED.get(example)
        if migrated is None:
            run_command(example, manage(example, "migrate", "--noinput"), env)
            cache = Path(tempfile.mkdtemp(prefix=f"channels-example-{Path(example).name}-"))
            atexit.register(shutil.rmtree, cache, ignore_errors=True)
            migrated = _MIGRATED[example] = cache / "db.sqlite3"
            shutil.copyfile(target, migrated)
            return
    shutil.copyfile(migrated, target)


class ExampleProcess(OutputProcess):
    """A long-running command of an example (a server, a worker) in a session of its own, so
    a signal reaches the autoreloader's child as well."""

    def __init__(self, name: str, example: str, command: list[str], env: dict[str, str]) -> None:
        super().__init__(name, command, env, cwd=EXAMPLES / example, own_group=True)
        RUNNING.append(self)

    def output(self, last: int = 150) -> str:
        return self.tail(last)

    def wait_for(
        self, pattern: str, timeout: float = START_TIMEOUT, *, start: int = 0
    ) -> re.Match[str]:
        return super().wait_for(pattern, timeout, start=start)

    def stop(self, signum: int = signal.SIGINT, timeout: float = STOP_TIMEOUT) -> int:
        """Signal the whole process group (Ctrl-C by default) and return the exit status;
        fails, after killing it, if it does not exit within ``timeout`` seconds."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.cleanup()
            raise AssertionError(
                f"{self.name} did not exit within {timeout} s of signal {signum}; output:\n"
                + self.output(80)
            ) from None
        self._reader.join(10)
        return code

    def cleanup(self) -> None:
        """Kill whatever is left of its process group and release the pipe."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        self._reader.join(10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        if self in RUNNING:
            RUNNING.remove(self)


@dataclass
class Site:
    """A running example: its base URL and the processes serving it."""

    url: str
    processes: list[ExampleProcess] = field(default_factory=list)

    @property
    def ws_url(self) -> str:
        return "ws" + self.url[len("http") :]

    @property
    def origin(self) -> str:
        return self.url.rstrip("/")


@contextlib.contextmanager
def runserver(example: str, env: dict[str, str], *extra: str) -> Iterator[Site]:
    """The README's first way: ``python manage.py runserver`` (on a free port, autoreloader
    and all), after ``migrate``. Stopped with Ctrl-C, which must end it cleanly."""
    migrate(example, env)
    server = ExampleProcess(
        f"{example} runserver", example, manage(example, "runserver", "127.0.0.1:0", *extra), env
    )
    try:
        match = server.wait_for(RUNSERVER_BANNER)
        yield Site(f"http://{match[1]}:{match[2]}/", [server])
        code = server.stop()
        assert code in (0, -signal.SIGINT), f"runserver exited with {code}:\n{server.output()}"
    finally:
        server.cleanup()


def redis_prefix() -> str:
    """A Redis key prefix of this run's own."""
    return f"test:examples:{uuid.uuid4().hex}:"


@contextlib.contextmanager
def redis_deployment(
    example: str,
    env: dict[str, str],
    *,
    workers: int = 2,
    delay_server: bool = False,
    project: str | None = None,
) -> Iterator[Site]:
    """The README's second way: ``daphne <project>.asgi:channel_layer`` plus ``workers``
    ``manage.py runworker`` processes (and ``manage.py rundelay`` if asked), over the Redis
    layer that ``env``'s ``CHANNELS_REDIS_URL`` names. ``example`` is an example's folder
    name, or the absolute path of a project folder; ``project`` (the example's name by
    default) is the Python package that holds ``asgi.py``."""
    assert env.get("CHANNELS_REDIS_URL"), "redis_deployment needs CHANNELS_REDIS_URL in env"
    migrate(example, env)
    processes: list[ExampleProcess] = []
    try:
        daphne = ExampleProcess(
            f"{example} daphne",
            example,
            [
                str(BIN / "daphne"),
                *("-b", "127.0.0.1", "-p", "0"),
                f"{project or example}.asgi:channel_layer",
            ],
            env,
        )
        processes.append(daphne)
        for number in range(workers):
            processes.append(
                ExampleProcess(
                    f"{example} runworker {number + 1}", example, manage(example, "runworker"), env
                )
            )
        if delay_server:
            processes.append(
                ExampleProcess(f"{example} rundelay", example, manage(example, "rundelay"), env)
            )
        match = daphne.wait_for(DAPHNE_LISTENING)
        for process in processes[1 : workers + 1]:
            process.wait_for(RUNWORKER_READY)
        if delay_server:
            processes[-1].wait_for(RUNDELAY_READY)
        yield Site(f"http://{match[1]}:{match[2]}/", processes)
        for process in processes:
            code = process.stop(signal.SIGTERM)
            assert code in (0, -signal.SIGTERM), (
                f"{process.name} exited with {code}:\n{process.output()}"
            )
    finally:
        for process in processes:
            process.cleanup()
