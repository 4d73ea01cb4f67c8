"""The process registry (:mod:`channels.layers.registry`) of the in-memory layer.

The in-memory layer lives in one process, so its registry sees that process only
(``registry_scope = "process"``): useful to ``runserver`` and tests, never a view of a
deployment.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from .registry import ProcessRecord, ProcessRegistry, with_state
from .tally import ChannelCounts

if TYPE_CHECKING:
    from collections import deque


class _Published:
    """What this process published: records with the monotonic time they expire, and the
    summed counts."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.records: dict[str, tuple[ProcessRecord, float, float]] = {}
        self.counts: ChannelCounts = {}
        self.counts_expire = 0.0


class InMemoryRegistry(ProcessRegistry):
    """Mixed into :class:`~channels.layers.inmemory.InMemoryChannelLayer`."""

    registry_scope = "process"

    if TYPE_CHECKING:
        _lock: threading.Lock
        _queues: dict[str, deque[Any]]
        _groups: dict[str, dict[str, float]]

    @property
    def _published(self) -> _Published:
        # Made on first use, so the layer's __init__ need not know about the registry.
        state = self.__dict__.get("_published_state")
        if state is None:
            state = self.__dict__.setdefault("_published_state", _Published())
        assert isinstance(state, _Published)
        return state

    def publish_process(self, record: ProcessRecord, ttl: float, counts: ChannelCounts) -> None:
        published = self._published
        now = time.monotonic()
        with published.lock:
            published.records[record["id"]] = (dict(record), ttl, now + ttl)
            if published.counts_expire <= now:
                published.counts = {}
            for counter, per_queue in counts.items():
                mine = published.counts.setdefault(counter, {})
                for queue, amount in per_queue.items():
                    mine[queue] = mine.get(queue, 0) + amount
            published.counts_expire = now + ttl

    def withdraw_process(self, process_id: str) -> None:
        published = self._published
        with published.lock:
            published.records.pop(process_id, None)

    def processes(self) -> list[ProcessRecord]:
        published = self._published
        now = time.monotonic()
        with published.lock:
            for process_id in [i for i, (_, _, end) in published.records.items() if end <= now]:
                del published.records[process_id]
            records = [
                with_state(record, ttl, end - now)
                for record, ttl, end in published.records.values()
            ]
        return sorted(records, key=lambda record: (record["started"], record["id"]))

    def deployment_counts(self) -> ChannelCounts:
        published = self._published
        with published.lock:
            if published.counts_expire <= time.monotonic():
                return {}
            return {counter: dict(per_queue) for counter, per_queue in published.counts.items()}

    def queue_names(self) -> list[str]:
        with self._lock:
            return sorted(key for key, queue in self._queues.items() if queue)

    def group_names(self) -> list[str]:
        with self._lock:
            return sorted(group for group, members in self._groups.items() if members)


__all__ = ["InMemoryRegistry"]
