"""The operating-system primitives the IPC layer could be built on, measured on this machine.

    .venv/bin/python benchmarks/ipc_primitives.py [-n 20000]

What it compares (the IPC layer's docs explain the choice from these figures):

* locks: ``flock`` (released by the kernel when the holder dies), ``fcntl`` record locks
  (the same, but per process, so two layer objects in one process would not exclude each
  other) and a POSIX named semaphore (``posix_ipc``, if installed: fastest, but stays taken
  when its holder is SIGKILLed);
* a store transaction: SQLite in WAL mode on ``/dev/shm`` under ``flock``, shaped like the
  layer's send (insert a message, bump the queue's length) and receive (select the head,
  delete it, shorten the queue);
* wake-ups between two processes, as a ping-pong round trip: a Unix datagram socket in the
  abstract namespace, a FIFO, and a POSIX message queue (``posix_ipc``, if installed); and
  the cost of making a wake socket.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import shutil
import socket
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator

BODY = b"x" * 200


def per_call(count: int, call: Callable[[], object]) -> float:
    """Microseconds per call of ``call``."""
    start = time.perf_counter()
    for _ in range(count):
        call()
    return (time.perf_counter() - start) / count * 1e6


def locks(folder: str, count: int) -> dict[str, float]:
    fd = os.open(os.path.join(folder, "lock"), os.O_RDWR | os.O_CREAT)

    def flock() -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        fcntl.flock(fd, fcntl.LOCK_UN)

    def lockf() -> None:
        fcntl.lockf(fd, fcntl.LOCK_EX)
        fcntl.lockf(fd, fcntl.LOCK_UN)

    found = {
        "flock lock+unlock": per_call(count, flock),
        "fcntl lock+unlock": per_call(count, lockf),
    }
    with contextlib.suppress(ImportError):
        import posix_ipc

        name = f"/channels-bench-{os.getpid()}"
        semaphore = posix_ipc.Semaphore(name, posix_ipc.O_CREX, initial_value=1)

        def acquire() -> None:
            semaphore.acquire()
            semaphore.release()

        found["POSIX semaphore acquire+release"] = per_call(count, acquire)
        semaphore.unlink()
    os.close(fd)
    return found


def transactions(folder: str, count: int) -> dict[str, float]:
    fd = os.open(os.path.join(folder, "db.lock"), os.O_RDWR | os.O_CREAT)
    db = sqlite3.connect(os.path.join(folder, "db"), isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("CREATE TABLE m (id INTEGER PRIMARY KEY, q TEXT, e REAL, b BLOB)")
    db.execute("CREATE INDEX mq ON m (q, id)")
    db.execute("CREATE TABLE c (q TEXT PRIMARY KEY, n INT) WITHOUT ROWID")

    @contextlib.contextmanager
    def locked() -> Iterator[None]:
        fcntl.flock(fd, fcntl.LOCK_EX)
        db.execute("BEGIN IMMEDIATE")
        yield
        db.execute("COMMIT")
        fcntl.flock(fd, fcntl.LOCK_UN)

    def send() -> None:
        with locked():
            db.execute("INSERT INTO m (q, e, b) VALUES ('chan', 1e12, ?)", (BODY,))
            db.execute("INSERT INTO c VALUES ('chan', 1) ON CONFLICT (q) DO UPDATE SET n = n + 1")

    def receive() -> None:
        with locked():
            row = db.execute("SELECT id, b FROM m WHERE q = 'chan' ORDER BY id LIMIT 1").fetchone()
            db.execute("DELETE FROM m WHERE id = ?", (row[0],))
            db.execute("UPDATE c SET n = n - 1 WHERE q = 'chan'")

    found = {
        "SQLite WAL send transaction": per_call(count, send),
        "SQLite WAL receive transaction": per_call(count, receive),
    }
    db.close()
    os.close(fd)
    return found


def ping_pong(kind: str, folder: str, count: int) -> float:
    """Microseconds per round trip between this process and a forked child."""
    if kind == "datagram socket":
        here, there = (b"\0channels-bench-%d-%s" % (os.getpid(), side) for side in (b"a", b"b"))
        mine = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        mine.bind(here)
        theirs = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        theirs.bind(there)
        child_loop = lambda: [(theirs.recv(16), theirs.sendto(b"!", here)) for _ in range(count)]  # noqa: E731
        parent_step = lambda: (mine.sendto(b"!", there), mine.recv(16))  # noqa: E731
    elif kind == "FIFO":
        out_path, back_path = os.path.join(folder, "f1"), os.path.join(folder, "f2")
        os.mkfifo(out_path)
        os.mkfifo(back_path)
        child_loop = None
        parent_step = None
    else:
        import posix_ipc

        out = posix_ipc.MessageQueue(f"/channels-bench-{os.getpid()}-a", posix_ipc.O_CREX)
        back = posix_ipc.MessageQueue(f"/channels-bench-{os.getpid()}-b", posix_ipc.O_CREX)
        child_loop = lambda: [(out.receive(), back.send(b"!")) for _ in range(count)]  # noqa: E731
        parent_step = lambda: (out.send(b"!"), back.receive())  # noqa: E731
    pid = os.fork()
    if pid == 0:
        if kind == "FIFO":
            reader, writer = os.open(out_path, os.O_RDONLY), os.open(back_path, os.O_WRONLY)
            for _ in range(count):
                os.read(reader, 16)
                os.write(writer, b"!")
        else:
            child_loop()
        os._exit(0)
    if kind == "FIFO":
        writer, reader = os.open(out_path, os.O_WRONLY), os.open(back_path, os.O_RDONLY)
        parent_step = lambda: (os.write(writer, b"!"), os.read(reader, 16))  # noqa: E731
    elapsed = per_call(count, parent_step)
    os.waitpid(pid, 0)
    if kind == "POSIX message queue":
        out.unlink()
        back.unlink()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20000, help="calls per measurement")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="channels-bench-", dir="/dev/shm")
    try:
        results = {**locks(folder, args.n), **transactions(folder, args.n)}
        kinds = ["datagram socket", "FIFO"]
        with contextlib.suppress(ImportError):
            import posix_ipc  # noqa: F401

            kinds.append("POSIX message queue")
        for kind in kinds:
            results[f"wake-up ping-pong, {kind}"] = ping_pong(kind, folder, args.n // 4)

        def wake_socket() -> None:
            made = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            made.bind(b"\0channels-bench-" + os.urandom(8).hex().encode())
            made.close()

        results["make, bind and close a wake socket"] = per_call(args.n // 4, wake_socket)
    finally:
        shutil.rmtree(folder)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"IPC primitives, {args.n} calls each; load average at the end: {load}\n")
    width = max(map(len, results))
    for name, micros in results.items():
        print(f"{name:<{width}}  {micros:8.2f} us")


if __name__ == "__main__":
    main()
