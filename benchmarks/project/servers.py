"""Starting and stopping the processes the benchmarks measure: daphne, ``runworker``,
``runserver`` and gunicorn, each on a free port, each stopped (and its Redis keys deleted)
when the benchmark ends, even when it fails.

Every server is started with port 0 and we read the real port from its own log line, so two
benchmarks (or a benchmark and the tests) never fight over a port.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
SETTINGS = "benchmarks.project.settings"

#: How long a process may take to start, and to exit after SIGTERM.
STARTUP_DEADLINE = 30.0
SHUTDOWN_DEADLINE = 15.0


class Process:
    """A subprocess whose merged output is collected line by line by a thread."""

    def __init__(
        self,
        name: str,
        command: list[str],
        env: dict[str, str],
        pass_fds: tuple[int, ...] = (),
        cwd: Path = ROOT,
    ) -> None:
        self.name = name
        self.command = command
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
            pass_fds=pass_fds,
        )
        self._reader = threading.Thread(target=self._read, name=f"{name}-output", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def output(self) -> str:
        with self._changed:
            return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = STARTUP_DEADLINE) -> re.Match[str]:
        """The first output line matching ``pattern``; SystemExit (with the process's output)
        if none appears within ``timeout`` seconds or the process exits first."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    found = regex.search(line)
                    if found:
                        return found
                remaining = deadline - time.monotonic()
                exited = self.process.poll() is not None and not self._reader.is_alive()
                if remaining <= 0 or exited:
                    why = "exited" if exited else f"printed nothing matching within {timeout} s"
                    raise SystemExit(
                        f"{self.name} {why} (waiting for {pattern!r}); command: "
                        f"{' '.join(self.command)}\noutput:\n" + "\n".join(self.lines)
                    )
                self._changed.wait(remaining)

    def rss_kib(self) -> int:
        """Resident set size in KiB (Linux: /proc/PID/status)."""
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError(f"no VmRSS for {self.name} (pid {self.pid})")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited within ``SHUTDOWN_DEADLINE``."""
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


def project_env(
    layer: str, prefix: str | None = None, redis_url: str | None = None
) -> dict[str, str]:
    """Environment for a process of the benchmark project on ``layer`` (redis, ipc or
    inmemory); ``prefix`` is the Redis key prefix or the IPC store's prefix."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "BENCH_LAYER": layer,
        "PYTHONUNBUFFERED": "1",
    }
    if prefix is not None:
        env["BENCH_IPC_PREFIX" if layer == "ipc" else "BENCH_REDIS_PREFIX"] = prefix
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
    return env


def new_prefix(kind: str) -> str:
    """A Redis key prefix of this run's own."""
    return f"bench:{kind}:{uuid.uuid4().hex[:12]}:"


@contextlib.contextmanager
def stopping(processes: list[Process]) -> Iterator[list[Process]]:
    """Stop every process of ``processes`` (which may grow inside the block) on the way out."""
    try:
        yield processes
    except BaseException:
        for process in processes:
            lines = [
                line
                for line in process.output().splitlines()
                if "WSDISCONNECT" not in line and "WSCONNECT" not in line
            ]
            tail = "\n".join(lines[-40:])
            print(
                f"---- last output of {process.name} (pid {process.pid}) ----\n{tail}",
                file=sys.stderr,
            )
        raise
    finally:
        for process in reversed(processes):
            process.stop()


@contextlib.contextmanager
def stopped_on_failure(process: Process) -> Iterator[None]:
    """Stop ``process`` if the block fails (it is not in any ``stopping`` list yet)."""
    try:
        yield
    except BaseException:
        process.stop()
        raise


def start_daphne(
    env: dict[str, str],
    *extra: str,
    application: str = "benchmarks.project.asgi:channel_layer",
    daphne: tuple[str, ...] = (PYTHON, "-m", "daphne"),
    cwd: Path = ROOT,
) -> tuple[Process, int]:
    """``daphne APPLICATION`` on a free port: (process, port).

    We bind the socket and hand it over with ``--fd``, so connections made before daphne is
    up wait in the backlog, and run it at ``-v 0``: daphne's access log (on stdout at the
    default verbosity) would measure the terminal, not the server. It is ready once it
    answered one request. ``daphne`` is the command (another virtualenv's, for baselines)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    port = listener.getsockname()[1]
    fd = listener.fileno()
    command = [*daphne, "-v", "0", "--fd", str(fd), *extra]
    try:
        process = Process("daphne", [*command, application], env, pass_fds=(fd,), cwd=cwd)
    finally:
        listener.close()  # daphne has its own copy
    with stopped_on_failure(process):
        wait_http(process, port)
    return process, port


def wait_http(process: Process, port: int, path: str = "/hello/") -> None:
    """Wait (up to ``STARTUP_DEADLINE``) for one successful GET, or exit with the output."""
    import urllib.request

    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}{path}", timeout=STARTUP_DEADLINE
        ) as response:
            response.read()
    except OSError as exc:
        raise SystemExit(
            f"{process.name} did not answer GET {path} on port {port}: {exc}\noutput:\n"
            + process.output()
        ) from None


def start_runworker(env: dict[str, str], *extra: str) -> Process:
    """``manage.py runworker`` (as ``python -m django runworker``), once it is receiving."""
    process = Process("runworker", [PYTHON, "-m", "django", "runworker", *extra], env)
    with stopped_on_failure(process):
        process.wait_for("worker listening on")
    return process


def start_runserver(env: dict[str, str]) -> tuple[Process, int]:
    """``manage.py runserver`` (daphne, bridge and 4 worker threads on the in-memory layer)
    on a free port, without the autoreloader: (process, port)."""
    command = [PYTHON, "-m", "django", "runserver", "--noreload", "127.0.0.1:0"]
    process = Process("runserver", command, env)
    with stopped_on_failure(process):
        found = process.wait_for(r"development server at http://127\.0\.0\.1:(\d+)/")
    return process, int(found.group(1))


def start_gunicorn(env: dict[str, str], workers: int = 2) -> tuple[Process, int]:
    """gunicorn (sync workers) serving the project's WSGI app on a free port."""
    gunicorn = shutil.which("gunicorn", path=os.path.dirname(PYTHON)) or shutil.which("gunicorn")
    if gunicorn is None:
        raise SystemExit("gunicorn is not installed: .venv/bin/pip install gunicorn")
    command = [gunicorn, "-w", str(workers), "-k", "sync", "-b", "127.0.0.1:0"]
    help_text = subprocess.run([gunicorn, "--help"], capture_output=True, text=True).stdout
    if "--no-control-socket" in help_text:  # gunicorn 24+ opens one under $HOME otherwise
        command.append("--no-control-socket")
    process = Process("gunicorn", [*command, "benchmarks.project.wsgi:application"], env)
    with stopped_on_failure(process):
        found = process.wait_for(r"Listening at: http://127\.0\.0\.1:(\d+)")
        process.wait_for(r"Booting worker")
    return process, int(found.group(1))


def flush_ipc_store(prefix: str) -> None:
    """Remove the files of the IPC layer's store ``prefix``."""
    from channels.layers.ipc import IPCChannelLayer

    layer = IPCChannelLayer(prefix)
    try:
        layer.flush()
    finally:
        layer.close()


def flush_prefix(prefix: str, redis_url: str) -> None:
    """Delete every key this run left under ``prefix``."""
    from channels.layers.redis import RedisChannelLayer

    layer = RedisChannelLayer(hosts=[redis_url], prefix=prefix)
    try:
        layer.flush()
    finally:
        layer.close()
