"""``daphne tests.project.asgi:channel_layer`` in a subprocess on the Redis layer: the seeds'
deployment, for end-to-end tests (offload, WSGI) and ``benchmarks/offload.py``."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
STARTUP_DEADLINE = 20.0
SHUTDOWN_DEADLINE = 10.0

_LISTENING = re.compile(r"Listening on TCP address 127\.0\.0\.1:(\d+)")


class ProjectDaphne:
    """daphne serving the test project's layer on ``prefix``; ``extra_env`` adds settings
    (``CHANNELS_TEST_SETTINGS``...)."""

    def __init__(self, prefix: str, redis_url: str, extra_env: dict[str, str] | None = None):
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "tests.project.settings",
            "CHANNELS_TEST_LAYER": "redis",
            "CHANNELS_TEST_REDIS_PREFIX": prefix,
            "REDIS_URL": redis_url,
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self.lines: list[str] = []
        self.port: int | None = None
        self._listening = threading.Event()
        self.process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ProjectDaphne:
        command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", "0"]
        self.process = subprocess.Popen(
            [*command, "tests.project.asgi:channel_layer"],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        self._reader = threading.Thread(target=self._read, name="daphne-output", daemon=True)
        self._reader.start()
        if not self._listening.wait(STARTUP_DEADLINE) or self.port is None:
            self.__exit__()
            raise RuntimeError(
                f"daphne did not report a port within {STARTUP_DEADLINE} s:\n{self.output}"
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
        self._listening.set()  # daphne exited: stop waiting

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def __exit__(self, *exc: Any) -> None:
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(SHUTDOWN_DEADLINE)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(SHUTDOWN_DEADLINE)
        if self._reader is not None:
            self._reader.join(SHUTDOWN_DEADLINE)
        if process.stdout is not None:
            process.stdout.close()
