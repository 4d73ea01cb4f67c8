"""Per-channel counts kept in this process and handed over in batches: the tally.

A layer counts what happens to each queue (a send refused as full, a message found expired)
here, under a lock, with no I/O. A heartbeat (:mod:`channels.layers.heartbeat`) takes what
was added since its last beat with :meth:`ChannelTally.drain` and publishes it, so the
deployment-wide counts cost one round trip per beat, never one per message.
"""

from __future__ import annotations

import threading

#: ``{counter: {queue: count}}``.
ChannelCounts = dict[str, dict[str, int]]

#: The counters kept per queue: sends refused with ``ChannelFull`` (group-send members
#: skipped as full included), and messages that expired before anyone received them.
TALLIED = ("channel_full_count", "messages_expired")


class ChannelTally:
    """Counts per (counter, queue): totals since the process started, and what was added
    since the last :meth:`drain`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._totals: ChannelCounts = {}
        self._undrained: ChannelCounts = {}

    def add(self, counter: str, queue: str, amount: int = 1) -> None:
        """Count ``amount`` more of ``counter`` on ``queue``."""
        with self._lock:
            for counts in (self._totals, self._undrained):
                per_queue = counts.setdefault(counter, {})
                per_queue[queue] = per_queue.get(queue, 0) + amount

    def totals(self) -> ChannelCounts:
        """Everything counted since this process started (a copy)."""
        with self._lock:
            return {counter: dict(per_queue) for counter, per_queue in self._totals.items()}

    def drain(self) -> ChannelCounts:
        """What was counted since the last drain; the caller now owns it (see
        :meth:`restore` when it could not be published)."""
        with self._lock:
            drained, self._undrained = self._undrained, {}
        return drained

    def restore(self, counts: ChannelCounts) -> None:
        """Put back drained counts that could not be published, for the next drain."""
        with self._lock:
            for counter, per_queue in counts.items():
                mine = self._undrained.setdefault(counter, {})
                for queue, amount in per_queue.items():
                    mine[queue] = mine.get(queue, 0) + amount
