"""Real ``python -m django <command>`` processes of the test project, for end-to-end tests
(``runworker``, ``rundelay``, ``runserver``...).

:func:`project_env` builds the environment of ``tests.project.settings`` on a Redis prefix
and a SQLite file shared by every process of a test; :func:`migrate` creates its tables;
:class:`ManageProcess` runs a long-lived command (``rundelay``, ``runserver``) and collects
its output line by line, so a test can wait for a line with a deadline.
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
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from tests.project import settings as project_settings

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


def _ignore_signal(signum: int, frame: object) -> None:
    """Stands in for SIG_IGN in this process (see :func:`children_take_sigint`)."""


def children_take_sigint() -> None:
    """Let the processes the tests start react to SIGINT (Ctrl-C, which is how a test stops
    ``runserver``) even when the test run itself was started with SIGINT ignored, as
    ``nohup``-style launchers and ``command &`` in a script do. An ignored signal stays
    ignored across ``exec``, so every child would inherit it; a Python handler does not (the
    child starts with the default), so this process keeps ignoring SIGINT through a handler
    that does nothing. Call it from the main thread, before starting processes."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, _ignore_signal)


def project_env(
    redis_url: str,
    prefix: str,
    db_path: Path,
    *,
    extra_apps: Iterable[str] = (),
    routing: str | None = None,
    capacity: int = 100,
    settings: dict[str, Any] | None = None,
) -> dict[str, str]:
    """The environment of a test-project process on Redis ``prefix`` and ``db_path``."""
    extra = {"INSTALLED_APPS": [*project_settings.INSTALLED_APPS, *extra_apps]}
    extra.update(settings or {})
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "tests.project.settings",
        "CHANNELS_TEST_LAYER": "redis",
        "CHANNELS_TEST_REDIS_PREFIX": prefix,
        "CHANNELS_TEST_CAPACITY": str(capacity),
        "CHANNELS_TEST_DB": str(db_path),
        "CHANNELS_TEST_SETTINGS": json.dumps(extra),
        "REDIS_URL": redis_url,
        "PYTHONUNBUFFERED": "1",
    }
    if routing is not None:
        env["CHANNELS_TEST_ROUTING"] = routing
    return env


def run(
    command: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path = ROOT,
    timeout: float = 120.0,
) -> str:
    """Run ``command`` to completion (no input, at most ``timeout`` seconds); its combined
    output, or an AssertionError that shows it if the exit status is not 0."""
    done = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, (
        f"`{' '.join(command)}` in {cwd} exited with {done.returncode}:\n{output}"
    )
    return output


def manage(env: dict[str, str], *args: str, timeout: float = 120.0, cwd: Path = ROOT) -> str:
    """Run ``python -m django *args`` to completion; its output, or AssertionError."""
    return run([sys.executable, "-m", "django", *args], env=env, cwd=cwd, timeout=timeout)


def migrate(env: dict[str, str]) -> None:
    """Create the tables of every installed app in the environment's database."""
    manage(env, "migrate", "--noinput", "-v", "0")


class OutputProcess:
    """A subprocess whose combined stdout and stderr is collected line by line, so that a
    test can wait for a line with a deadline (and show the output when it fails)."""

    def __init__(
        self,
        name: str,
        command: list[str],
        env: dict[str, str],
        *,
        cwd: Path = ROOT,
        own_group: bool = False,
    ) -> None:
        self.name = name
        self.command = command
        self.own_group = own_group
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            # A process group of its own, so a signal can reach an autoreloader's child too.
            start_new_session=own_group,
        )
        self._reader = threading.Thread(target=self._read, name=f"read-{name}", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def tail(self, last: int | None = None) -> str:
        """The output so far (its ``last`` lines)."""
        with self._changed:
            return "\n".join(self.lines if last is None else self.lines[-last:])

    def wait_until(self, find: Callable[[list[str]], T | None], timeout: float, what: str) -> T:
        """``find(lines)`` once it is not None; fails after ``timeout`` seconds, or at once
        if the process exited without it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = find(self.lines)
                if found is not None:
                    return found
                exited = self.process.poll() is not None and not self._reader.is_alive()
                remaining = deadline - time.monotonic()
                if exited or remaining <= 0:
                    why = f"exited with {self.process.returncode}" if exited else "timed out"
                    raise AssertionError(
                        f"{self.name}: no {what} ({why}, waited up to {timeout} s); command "
                        f"{self.command!r}; output:\n" + "\n".join(self.lines[-80:])
                    )
                # Bounded, so that an exit without a last line is noticed too.
                self._changed.wait(min(remaining, 1.0))

    def wait_for(self, pattern: str, timeout: float, *, start: int = 0) -> re.Match[str]:
        """The first line from index ``start`` on that matches ``pattern`` (a regex)."""
        regex = re.compile(pattern)

        def find(lines: list[str]) -> re.Match[str] | None:
            return next(filter(None, map(regex.search, lines[start:])), None)

        return self.wait_until(find, timeout, f"line matching {pattern!r}")


class ManageProcess(OutputProcess):
    """``python -m django *args`` running in the background; output collected by line."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        super().__init__(
            args[0] if args else "django", [sys.executable, "-m", "django", *args], env
        )

    @property
    def output(self) -> str:
        """Everything the process printed so far."""
        return self.tail()

    def count(self, text: str) -> int:
        """How many output lines contain ``text``."""
        with self._changed:
            return sum(text in line for line in self.lines)

    def wait_for_line(self, text: str, timeout: float = 30.0, occurrences: int = 1) -> str:
        """The ``occurrences``-th line containing ``text``; fails after ``timeout`` seconds."""

        def find(lines: list[str]) -> str | None:
            found = [line for line in lines if text in line]
            return found[occurrences - 1] if len(found) >= occurrences else None

        return self.wait_until(find, timeout, f"{occurrences} line(s) with {text!r}")

    def alive(self) -> bool:
        """True while the process runs."""
        return self.process.poll() is None

    def terminate(self, timeout: float = 20.0) -> int:
        """SIGTERM, then the exit code (fails if it does not exit within ``timeout``)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self) -> int:
        """SIGKILL (a crash: no clean-up code runs), then the exit code."""
        if self.process.poll() is None:
            self.process.kill()
        return self.wait(10)

    def wait(self, timeout: float) -> int:
        """The exit code, once the process ended (fails after ``timeout`` seconds)."""
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            raise AssertionError(
                f"{' '.join(self.command[3:])} did not exit within {timeout} s:\n{self.output}"
            ) from None
        self._reader.join(10)
        return code

    def __enter__(self) -> ManageProcess:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._reader.join(10)
        if self.process.stdout is not None:
            self.process.stdout.close()
