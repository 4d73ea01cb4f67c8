"""The IPC store's tables and the operations on them; each call runs inside one transaction
of :meth:`~channels.layers.ipc.store.Store.transaction`.

``messages`` holds every stored message in send order (``id``). A message sent to a
process-specific channel, or one group copy serving several members of one prefix, names its
channels in ``targets`` (comma-separated); a receive hands them out one at a time. ``queues``
keeps each queue's length (triggers maintain it), so a capacity check costs one lookup.
``waiters`` lists blocked receives by queue and wake address (see :mod:`.wakeup`).
"""

from __future__ import annotations

import os
import sqlite3

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    queue TEXT NOT NULL,
    expires REAL NOT NULL,
    targets TEXT,
    body BLOB NOT NULL
);
CREATE INDEX messages_by_queue ON messages (queue, id);
CREATE TABLE queues (name TEXT PRIMARY KEY, length INTEGER NOT NULL) WITHOUT ROWID;
CREATE TRIGGER messages_in AFTER INSERT ON messages BEGIN
    INSERT INTO queues (name, length) VALUES (new.queue, 1)
    ON CONFLICT (name) DO UPDATE SET length = length + 1;
END;
CREATE TRIGGER messages_out AFTER DELETE ON messages BEGIN
    UPDATE queues SET length = length - 1 WHERE name = old.queue;
END;
CREATE TABLE groups (
    name TEXT NOT NULL,
    channel TEXT NOT NULL,
    added REAL NOT NULL,
    PRIMARY KEY (name, channel)
) WITHOUT ROWID;
CREATE TABLE waiters (queue TEXT NOT NULL, address BLOB NOT NULL, pid INTEGER NOT NULL);
CREATE INDEX waiters_by_queue ON waiters (queue);
CREATE INDEX waiters_by_address ON waiters (address);
"""

#: One popped delivery: (channel, expiry time, encoded message).
Delivery = tuple[str, float, bytes]

#: A receive to wake: (the queue it is woken for, its wake address).
Wake = tuple[str, bytes]

#: Most stored messages one receive takes from a process-specific queue.
BULK_POP = 64


def _count(targets: str | None) -> int:
    return targets.count(",") + 1 if targets else 1


# -- queues -----------------------------------------------------------------------------------


def queue_length(db: sqlite3.Connection, queue: str) -> int:
    row = db.execute("SELECT length FROM queues WHERE name = ?", (queue,)).fetchone()
    return int(row[0]) if row else 0


def drop_expired_heads(db: sqlite3.Connection, queue: str, now: float) -> int:
    """Delete expired messages at the head of ``queue``; return how many deliveries expired."""
    expired = 0
    while True:
        row = db.execute(
            "SELECT id, expires, targets FROM messages WHERE queue = ? ORDER BY id LIMIT 1",
            (queue,),
        ).fetchone()
        if row is None or row[1] > now:
            return expired
        db.execute("DELETE FROM messages WHERE id = ?", (row[0],))
        expired += _count(row[2])


def push(
    db: sqlite3.Connection,
    queue: str,
    targets: str | None,
    body: bytes,
    expires: float,
    capacity: int,
    now: float,
) -> tuple[bool, int]:
    """Append a message to ``queue`` unless it holds ``capacity`` unexpired messages.

    Returns (pushed, deliveries found expired on the way)."""
    length = queue_length(db, queue)
    expired = 0
    if length >= capacity:
        # Only a queue that looks full pays for dropping expired heads.
        expired = drop_expired_heads(db, queue, now)
        if queue_length(db, queue) >= capacity:
            return False, expired
    db.execute(
        "INSERT INTO messages (queue, expires, targets, body) VALUES (?, ?, ?, ?)",
        (queue, expires, targets, body),
    )
    return True, expired


def pop(
    db: sqlite3.Connection, queues: list[str], now: float, limit: int = 1
) -> tuple[list[Delivery], int]:
    """Take up to ``limit`` of the oldest unexpired stored messages, shared among
    ``queues`` in turns (each queue's in order), so that a backlog on one queue cannot fill a
    batch meant for several readers while another queue waits.

    A process-specific queue has one reader, this process, so everything waiting there (up
    to :data:`BULK_POP` stored messages) is taken at once. Returns (the deliveries, in order:
    one per channel a stored message names; deliveries found expired on the way)."""
    expired, taken = 0, 0
    deliveries: list[Delivery] = []
    active = list(queues)
    while taken < limit and active:
        share = max(1, (limit - taken) // len(active))
        for queue in list(active):
            if taken >= limit:
                break
            bulk = queue.endswith("!")
            want = max(BULK_POP, limit) if bulk else min(share, limit - taken)
            rows = db.execute(
                "SELECT id, expires, targets, body FROM messages WHERE queue = ? "
                "ORDER BY id LIMIT ?",
                (queue, want),
            ).fetchall()
            if len(rows) < want:
                active.remove(queue)  # nothing more there
            if not rows:
                continue
            db.execute("DELETE FROM messages WHERE queue = ? AND id <= ?", (queue, rows[-1][0]))
            for _, expires, targets, body in rows:
                if expires <= now:
                    expired += _count(targets)
                else:
                    names = targets.split(",") if targets else [queue]
                    deliveries.extend((name, expires, body) for name in names)
                    taken += 1
    return deliveries, expired


def head_expiry(db: sqlite3.Connection, queue: str) -> float | None:
    row = db.execute(
        "SELECT expires FROM messages WHERE queue = ? ORDER BY id LIMIT 1", (queue,)
    ).fetchone()
    return None if row is None else float(row[0])


def sweep(db: sqlite3.Connection, now: float, membership_cutoff: float) -> int:
    """Drop expired messages and memberships everywhere (abandoned channels and groups would
    otherwise hold space); returns how many deliveries expired."""
    expired = sum(
        _count(targets)
        for (targets,) in db.execute("SELECT targets FROM messages WHERE expires <= ?", (now,))
    )
    db.execute("DELETE FROM messages WHERE expires <= ?", (now,))
    db.execute("DELETE FROM queues WHERE length <= 0")
    db.execute("DELETE FROM groups WHERE added <= ?", (membership_cutoff,))
    return expired


# -- groups -----------------------------------------------------------------------------------


def group_add(db: sqlite3.Connection, group: str, channel: str, now: float) -> None:
    db.execute(
        "INSERT INTO groups (name, channel, added) VALUES (?, ?, ?) "
        "ON CONFLICT (name, channel) DO UPDATE SET added = excluded.added",
        (group, channel, now),
    )


def group_discard(db: sqlite3.Connection, group: str, channel: str) -> None:
    db.execute("DELETE FROM groups WHERE name = ? AND channel = ?", (group, channel))


def live_members(db: sqlite3.Connection, group: str, cutoff: float) -> list[str]:
    """The members of ``group`` added after ``cutoff``; lapsed ones are deleted."""
    rows = db.execute("SELECT channel, added FROM groups WHERE name = ?", (group,)).fetchall()
    if any(added <= cutoff for _, added in rows):
        db.execute("DELETE FROM groups WHERE name = ? AND added <= ?", (group, cutoff))
    return [channel for channel, added in rows if added > cutoff]


# -- waiters ----------------------------------------------------------------------------------


def add_waiter(db: sqlite3.Connection, queues: list[str], address: bytes) -> None:
    db.executemany(
        "INSERT INTO waiters (queue, address, pid) VALUES (?, ?, ?)",
        [(queue, address, os.getpid()) for queue in queues],
    )


def remove_waiter(db: sqlite3.Connection, address: bytes) -> None:
    db.execute("DELETE FROM waiters WHERE address = ?", (address,))


def take_waiter(db: sqlite3.Connection, queue: str) -> Wake | None:
    """One receive blocked on ``queue``, unregistered from every queue: it is about to be
    woken, and checks all of its queues again (registering anew if it finds nothing)."""
    # The longest waiting first (rowids grow with registrations), as Redis serves BLPOP
    # clients: idle workers take turns.
    row = db.execute(
        "SELECT address FROM waiters WHERE queue = ? ORDER BY rowid LIMIT 1", (queue,)
    ).fetchone()
    if row is None:
        return None
    db.execute("DELETE FROM waiters WHERE address = ?", (row[0],))
    return queue, bytes(row[0])


def take_waiters_with_work(db: sqlite3.Connection, queues: list[str]) -> list[Wake]:
    """One waiter for each of ``queues`` that holds messages, unregistered (see
    :func:`take_waiter`). A receive that was woken and leaves calls this: the wake-up it
    used may have been meant for a message it did not take."""
    marks = ",".join("?" * len(queues))
    rows = db.execute(
        "SELECT w.queue, w.address FROM waiters AS w JOIN queues AS q ON q.name = w.queue "
        f"WHERE q.length > 0 AND w.queue IN ({marks}) ORDER BY w.rowid",
        queues,
    ).fetchall()
    chosen: dict[bytes, str] = {}
    for queue, address in rows:
        if queue not in chosen.values():
            chosen.setdefault(bytes(address), queue)
    db.executemany("DELETE FROM waiters WHERE address = ?", [(a,) for a in chosen])
    return [(queue, address) for address, queue in chosen.items()]


def all_waiters(db: sqlite3.Connection) -> list[bytes]:
    return [bytes(row[0]) for row in db.execute("SELECT DISTINCT address FROM waiters")]


def forget_dead_waiters(db: sqlite3.Connection) -> None:
    """Delete the waiters of processes that no longer exist (a crashed deployment's)."""
    dead = []
    for (pid,) in db.execute("SELECT DISTINCT pid FROM waiters").fetchall():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            dead.append((pid,))
        except PermissionError:
            pass  # alive, another user's
    if dead:
        db.executemany("DELETE FROM waiters WHERE pid = ?", dead)


def claim_owner(db: sqlite3.Connection, prefix: str, until: float) -> None:
    """Record that a live process owns process prefix ``prefix`` until ``until`` (its
    membership notes go there; see :mod:`channels.layers.membership`)."""
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (f"owner:{prefix}", repr(until)),
    )


def owned(db: sqlite3.Connection, prefix: str, now: float) -> bool:
    """Whether a live process owns ``prefix``."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", (f"owner:{prefix}",)).fetchone()
    return row is not None and float(row[0]) > now
