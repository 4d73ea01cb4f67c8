"""The process registry (:mod:`channels.layers.registry`) of the IPC layer: records and
counters live in the shared store's ``meta`` table, so every process of the machine sees the
same deployment. Records carry their expiry (one machine: one clock) and are dropped once it
has passed."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..registry import ProcessRecord, ProcessRegistry, with_state
from ..tally import ChannelCounts

_PROCESS = "process:"
_COUNTS = "counts"


class IPCRegistry(ProcessRegistry):
    """Mixed into :class:`~channels.layers.ipc.IPCChannelLayer`."""

    if TYPE_CHECKING:

        @contextlib.contextmanager
        def _transaction(self) -> Iterator[sqlite3.Connection]: ...

    def publish_process(self, record: ProcessRecord, ttl: float, counts: ChannelCounts) -> None:
        now = time.time()
        with self._transaction() as db:
            _put(db, _PROCESS + record["id"], {"record": record, "ttl": ttl, "until": now + ttl})
            stored = _get(db, _COUNTS)
            summed: ChannelCounts = stored["counts"] if stored and stored["until"] > now else {}
            for counter, per_queue in counts.items():
                mine = summed.setdefault(counter, {})
                for queue, amount in per_queue.items():
                    mine[queue] = mine.get(queue, 0) + amount
            _put(db, _COUNTS, {"counts": summed, "until": now + ttl})

    def withdraw_process(self, process_id: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM meta WHERE key = ?", (_PROCESS + process_id,))

    def processes(self) -> list[ProcessRecord]:
        now = time.time()
        records = []
        with self._transaction() as db:
            for key, value in list(_entries(db, _PROCESS)):
                if value["until"] <= now:
                    db.execute("DELETE FROM meta WHERE key = ?", (key,))
                    continue
                records.append(with_state(value["record"], value["ttl"], value["until"] - now))
        return sorted(records, key=lambda record: (record["started"], record["id"]))

    def deployment_counts(self) -> ChannelCounts:
        with self._transaction() as db:
            stored = _get(db, _COUNTS)
        if not stored or stored["until"] <= time.time():
            return {}
        counts: ChannelCounts = stored["counts"]
        return counts

    def queue_names(self) -> list[str]:
        with self._transaction() as db:
            rows = db.execute("SELECT name FROM queues WHERE length > 0 ORDER BY name")
            return [name for (name,) in rows]

    def group_names(self) -> list[str]:
        with self._transaction() as db:
            return [name for (name,) in db.execute("SELECT DISTINCT name FROM groups ORDER BY 1")]


def _put(db: sqlite3.Connection, key: str, value: Any) -> None:
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, json.dumps(value)),
    )


def _get(db: sqlite3.Connection, key: str) -> Any:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else json.loads(row[0])


def _entries(db: sqlite3.Connection, prefix: str) -> Iterator[tuple[str, Any]]:
    rows = db.execute(
        "SELECT key, value FROM meta WHERE key >= ? AND key < ?", (prefix, prefix + "\uffff")
    )
    for key, value in rows.fetchall():
        yield key, json.loads(value)


__all__ = ["IPCRegistry"]
