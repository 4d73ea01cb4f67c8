"""The IPC layer's shared store: one SQLite database on a tmpfs, behind one kernel lock.

Every process of the layer opens the same three kinds of file in ``directory``::

    channels-ipc-<prefix>.lock                the lock file; holds the store's generation token
    channels-ipc-<prefix>-<token>.sqlite      the database (WAL mode)
    ...-<token>.sqlite-wal, ...-shm           SQLite's write-ahead log and its shared index

Why this is crash-safe:

* Every operation is one SQLite transaction taken under ``flock`` on the lock file. The kernel
  drops a ``flock`` when its holder dies, so a process SIGKILLed while holding it cannot wedge
  the others (a POSIX semaphore would stay taken).
* A transaction is committed by SQLite's write-ahead log: a writer killed mid-write leaves
  frames without a commit record, which the next reader ignores. Nothing half-written is ever
  seen, and SQLite never has to wait for its own locks, because ours is taken first (SQLite's
  busy handler would otherwise poll).
* ``flush()`` marks the lock file removed, then unlinks every file. Other processes notice
  at their next operation (the lock file says so, or its token names another database) and
  reopen. Database file names carry the token, so closing a stale connection (which
  makes SQLite delete its ``-wal`` by name) can never touch a newer generation's files.
* At open, a store written by another layout version, before the last boot, or damaged, is
  logged, deleted and replaced; a store left by a crashed deployment on this boot is simply
  used (SQLite recovers its log) and waiters of dead processes are dropped.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from . import tables

logger = logging.getLogger("channels.layers.ipc")

#: Version of the store's layout; a store with another version is replaced at open.
LAYOUT = "1"

#: What a removed lock file says instead of a generation token.
_REMOVED = "removed"

#: Connections a forked child inherited from its parent (see ``Store._forget``).
_INHERITED: list[sqlite3.Connection] = []


class StoreFull(Exception):
    """The database reached ``max_page_count``: the configured size is used up."""


def boot_id() -> str:
    """This boot's identity: a store from an earlier boot is stale."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown"


#: SQLite's result code for "database or disk is full".
_SQLITE_FULL = 13


def _is_full(exc: sqlite3.Error) -> bool:
    # sqlite_errorcode exists from Python 3.11; before, only the message tells.
    code = getattr(exc, "sqlite_errorcode", None)
    return code == _SQLITE_FULL if code is not None else "is full" in str(exc)


class Store:
    """The files of one store, and transactions on it (see the module docstring).

    Safe to use from any number of threads; each process (and each layer object) keeps its
    own lock file descriptor and database connection.
    """

    def __init__(self, directory: Path, prefix: str, size: int) -> None:
        self.directory = directory
        self.prefix = prefix
        self.size = size
        self.lock_path = directory / f"channels-ipc-{prefix}.lock"
        self._thread_lock = threading.Lock()
        self._pid = os.getpid()
        self._lock_fd: int | None = None
        self._db: sqlite3.Connection | None = None
        self._token = ""

    def db_path(self, token: str) -> Path:
        """The database file of generation ``token``."""
        return self.directory / f"channels-ipc-{self.prefix}-{token}.sqlite"

    def files(self) -> list[Path]:
        """Every file of this store that exists now (any generation)."""
        pattern = f"channels-ipc-{self.prefix}-*.sqlite*"
        found = sorted(self.directory.glob(pattern))
        return [self.lock_path, *found] if self.lock_path.exists() else found

    # -- the lock ---------------------------------------------------------------------------

    def _lock(self) -> tuple[int, str]:
        """flock the live lock file; return its descriptor and the generation it names."""
        while True:
            if self._lock_fd is None:
                self._lock_fd = os.open(
                    self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600
                )
            fd = self._lock_fd
            fcntl.flock(fd, fcntl.LOCK_EX)
            token = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            if token != _REMOVED:
                return fd, token
            if self._still_at_path(fd):
                return fd, ""  # a flush() died before unlinking this file: start afresh
            # flush() removed this lock file while we waited: take the new one.
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            self._lock_fd = None

    def _still_at_path(self, fd: int) -> bool:
        try:
            return os.stat(self.lock_path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            return False

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction on the current generation, under the kernel lock.

        Raises :class:`StoreFull` when the store's size is used up (nothing is changed).
        """
        with self._thread_lock:
            if self._pid != os.getpid():
                self._forget()  # a forked child: the parent's descriptors are not ours to use
            fd, token = self._lock()
            try:
                db = self._current(fd, token)
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                    db.execute("COMMIT")
                except BaseException:
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    raise
            except sqlite3.OperationalError as exc:
                if _is_full(exc):
                    raise StoreFull(str(exc)) from exc
                raise
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    # -- generations ------------------------------------------------------------------------

    def _current(self, fd: int, token: str) -> sqlite3.Connection:
        """The connection to generation ``token`` (named by the lock file ``fd``), opened or
        created."""
        if self._db is not None and token == self._token:
            return self._db
        self._close_db()
        if token:
            self._db = self._open_existing(token)
        if self._db is None:
            token = secrets.token_hex(8)
            self._db = self._create(token)
            os.ftruncate(fd, 0)
            os.pwrite(fd, token.encode("ascii"), 0)
        self._token = token
        return self._db

    def _connect(self, path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        page_size = int(db.execute("PRAGMA page_size").fetchone()[0])
        db.execute(f"PRAGMA max_page_count = {max(16, self.size // page_size)}")
        # Durability against power loss does not matter on a tmpfs, only against processes
        # dying, which WAL gives without fsync.
        db.execute("PRAGMA synchronous = OFF")
        db.execute(f"PRAGMA journal_size_limit = {8 * 1024 * 1024}")
        return db

    def _open_existing(self, token: str) -> sqlite3.Connection | None:
        path = self.db_path(token)
        if not path.exists():
            return None
        db = None
        try:
            db = self._connect(path)
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            if db is not None:
                db.close()
            logger.warning("IPC layer store %s is unreadable (%s); replacing it", path, exc)
            self._remove_generations()
            return None
        stale = meta.get("layout") != LAYOUT or meta.get("boot") != boot_id()
        if stale:
            db.close()
            logger.warning(
                "IPC layer store %s is from %s; replacing it",
                path,
                "an earlier boot" if meta.get("layout") == LAYOUT else "another layout version",
            )
            self._remove_generations()
            return None
        tables.forget_dead_waiters(db)
        return db

    def _create(self, token: str) -> sqlite3.Connection:
        self._remove_generations()
        db = self._connect(self.db_path(token))
        db.execute("PRAGMA journal_mode = WAL")
        db.executescript(tables.SCHEMA)
        db.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?)",
            [("layout", LAYOUT), ("boot", boot_id()), ("created_by", str(os.getpid()))],
        )
        return db

    def _remove_generations(self) -> None:
        for path in self.directory.glob(f"channels-ipc-{self.prefix}-*.sqlite*"):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    # -- removal and closing ----------------------------------------------------------------

    def remove(self) -> list[bytes]:
        """Delete every file of the store (other processes start a new generation at their
        next operation); returns the wake addresses of receives that were waiting."""
        with self._thread_lock:
            if self._pid != os.getpid():
                self._forget()
            fd, token = self._lock()
            try:
                waiting: list[bytes] = []
                with contextlib.suppress(sqlite3.Error):
                    waiting = tables.all_waiters(self._current(fd, token))
                self._close_db()
                # Marked first: a process that took this file's lock, now or after we die
                # half-way, knows to look at the path again.
                os.ftruncate(fd, 0)
                os.pwrite(fd, _REMOVED.encode("ascii"), 0)
                self._remove_generations()
                with contextlib.suppress(FileNotFoundError):
                    self.lock_path.unlink()
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
                self._lock_fd = None
            return waiting

    def _close_db(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db, self._token = None, ""

    def _forget(self) -> None:
        # The parent's connection is kept, never closed here: closing it in the child could
        # make SQLite checkpoint or remove files the parent is using.
        if self._db is not None:
            _INHERITED.append(self._db)
        self._db, self._token, self._lock_fd = None, "", None
        self._pid = os.getpid()

    def close(self) -> None:
        """Close this process's descriptors; the store's files stay for the others."""
        with self._thread_lock:
            if self._pid != os.getpid():
                self._forget()
                return
            fd, self._lock_fd = self._lock_fd, None
            if fd is None:
                self._close_db()
                return
            # Under the lock: SQLite's last close checkpoints, which must not race an open.
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                self._close_db()
            finally:
                os.close(fd)
