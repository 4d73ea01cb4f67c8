"""A real ``python -m django runworker`` process on the Redis layer, for end-to-end tests and
the benchmark. The test side plays interface server through its own RedisChannelLayer on the
same prefix."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

#: Printed by the worker once it is receiving.
READY_LINE = "worker listening on"


class RunworkerProcess:
    """``runworker`` in a subprocess; its stderr is collected line by line."""

    def __init__(self, prefix: str, redis_url: str, *args: str, capacity: int = 100) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "tests.project.settings",
            "CHANNELS_TEST_LAYER": "redis",
            "CHANNELS_TEST_REDIS_PREFIX": prefix,
            "CHANNELS_TEST_CAPACITY": str(capacity),
            "REDIS_URL": redis_url,
            "PYTHONUNBUFFERED": "1",
        }
        self.command = [sys.executable, "-m", "django", "runworker", *args]
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def output(self) -> str:
        with self._changed:
            return "\n".join(self.lines)

    def wait_for_line(self, text: str, timeout: float = 20.0) -> str:
        """The first output line containing ``text``; fails after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if text in line:
                        return line
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (
                    self.process.poll() is not None and not self._reader.is_alive()
                ):
                    output = self.output_unlocked()
                    raise AssertionError(
                        f"no line with {text!r} within {timeout} s; output:\n{output}"
                    )
                self._changed.wait(remaining)

    def output_unlocked(self) -> str:
        return "\n".join(self.lines)

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until the worker is receiving."""
        self.wait_for_line(READY_LINE, timeout)

    def terminate(self, timeout: float = 40.0) -> int:
        """SIGTERM, then wait for the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def wait(self, timeout: float) -> int:
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            raise AssertionError(
                f"runworker did not exit within {timeout} s:\n{self.output}"
            ) from None
        self._reader.join(10)
        return code

    def __enter__(self) -> RunworkerProcess:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._reader.join(10)
        if self.process.stdout is not None:
            self.process.stdout.close()
