"""A real daphne subprocess for tests: started on a free port, with its output kept."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STARTUP_DEADLINE = 20.0
SHUTDOWN_DEADLINE = 10.0

#: The command line (after ``python -m``) of each server, up to the application.
SERVERS = {
    "daphne": ["daphne", "-b", "127.0.0.1", "-p", "0"],
    "channels": ["tests.serve_process"],
}

_LISTENING = re.compile(r"Listening on TCP address 127\.0\.0\.1:(\d+)")


class DaphneServer:
    """A ``daphne`` subprocess on 127.0.0.1, a free port, serving ``application`` (an
    ``module:attribute`` path); a context manager, or ``start()`` and ``stop()``.

    ``server="channels"`` runs this package's daphne-based server instead of the ``daphne``
    CLI (``tests.serve_process``: the server ``runserver`` runs, with the WebSocket denial
    response extension)."""

    def __init__(self, env: dict[str, str], application: str, server: str = "daphne") -> None:
        if server not in SERVERS:
            raise ValueError(f"server must be one of {sorted(SERVERS)}, got {server!r}")
        self.env = env
        self.application = application
        self.server = server
        self.lines: list[str] = []
        self.port: int | None = None
        self._listening = threading.Event()
        self._changed = threading.Condition()
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
        command = [sys.executable, "-m", *SERVERS[self.server]]
        self.process = subprocess.Popen(
            [*command, self.application],
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
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
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
        with self._changed:
            return "".join(self.lines)

    def wait_for_output(self, text: str, timeout: float = 10.0) -> str:
        """The first output line containing ``text``; fails after ``timeout`` seconds."""
        with self._changed:
            found = self._changed.wait_for(
                lambda: next((line for line in self.lines if text in line), None), timeout
            )
        if found is None:
            raise AssertionError(f"no line with {text!r} within {timeout} s:\n{self.output()}")
        return found

    def __enter__(self) -> DaphneServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
