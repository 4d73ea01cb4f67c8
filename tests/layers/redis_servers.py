"""Throwaway ``redis-server`` and Sentinel processes for tests, on free loopback ports.

Each server lives in its own temporary directory with persistence off, so nothing it does
touches a shared Redis. Every wait has a deadline; ``stop()`` always reaps the process.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import redis

#: How long a server may take to start answering PING.
START_DEADLINE = 10.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def redis_server_binary() -> str | None:
    """The path of ``redis-server``, or None when it is not installed."""
    return shutil.which("redis-server")


def answers_ping(url: str, timeout: float = 1.0) -> bool:
    """True if a Redis server at ``url`` answers PING within ``timeout`` seconds."""
    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        return bool(client.ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False
    finally:
        client.close()


class RedisServer:
    """A ``redis-server`` (or, with ``sentinel_for``, a Sentinel) on a free port.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. :meth:`restart` brings
    the server back on the same port, with an empty dataset.
    """

    def __init__(self, *, sentinel_for: RedisServer | None = None) -> None:
        binary = redis_server_binary()
        if binary is None:
            raise RuntimeError(
                "redis-server is not on PATH; install it (apt-get install redis-server)"
            )
        self.binary = binary
        self.sentinel_for = sentinel_for
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="channels-redis-test-"))
        self.process: subprocess.Popen[bytes] | None = None
        self.log = self.directory / "server.log"

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>``."""
        return f"redis://127.0.0.1:{self.port}"

    @property
    def address(self) -> tuple[str, int]:
        """``("127.0.0.1", port)``."""
        return ("127.0.0.1", self.port)

    def _command(self) -> list[str]:
        if self.sentinel_for is None:
            return [
                self.binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.directory),
            ]  # fmt: skip
        # Sentinel rewrites its config file, so it needs one of its own in a writable place.
        config = self.directory / "sentinel.conf"
        master_host, master_port = self.sentinel_for.address
        config.write_text(
            f"port {self.port}\n"
            "bind 127.0.0.1\n"
            f"dir {self.directory}\n"
            f"sentinel monitor mymaster {master_host} {master_port} 1\n"
            "sentinel down-after-milliseconds mymaster 60000\n"
        )
        return [self.binary, str(config), "--sentinel"]

    def start(self) -> RedisServer:
        """Start the process and wait until it answers (raise if it does not in time)."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self._command(), stdout=log, stderr=subprocess.STDOUT, cwd=self.directory
            )
        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if answers_ping(self.url, timeout=0.5) and (
                self.sentinel_for is None or self._sentinel_knows_master()
            ):
                return self
            # Nothing to wait on but the server's own start-up: poll it at a short interval.
            time.sleep(0.02)
        output = self.log.read_text(errors="replace")[-2000:]
        self.stop()
        raise RuntimeError(f"redis-server on port {self.port} did not start:\n{output}")

    def _sentinel_knows_master(self) -> bool:
        client = redis.Redis(*self.address, socket_timeout=1)
        try:
            return client.sentinel_get_master_addr_by_name("mymaster") is not None
        except redis.RedisError:
            return False
        finally:
            client.close()

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 5 s) and reap it."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    def restart(self) -> None:
        """Stop and start again on the same port."""
        self.stop()
        self.start()

    def cleanup(self) -> None:
        """Stop the process and remove its directory."""
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def client(self, **kwargs: object) -> redis.Redis:
        """A redis-py client for this server (close it when done)."""
        return redis.Redis(*self.address, socket_timeout=5, **kwargs)  # type: ignore[arg-type]

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.cleanup()
