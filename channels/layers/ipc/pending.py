"""Deliveries this process popped but has not returned yet.

A receive on a process-specific prefix takes everything waiting there in one transaction
(the prefix has one reader: this process), and a group copy names several channels; the
receive returns the first delivery and keeps the rest here, in order, for the next receives.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Iterable

from .tables import Delivery


class Pending:
    """Popped deliveries by queue, safe to use from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Delivery]] = {}

    def __bool__(self) -> bool:
        return bool(self._queues)

    def keep(self, queue: str, deliveries: Iterable[Delivery]) -> None:
        """Keep ``deliveries`` of ``queue``, after those already kept."""
        with self._lock:
            self._queues.setdefault(queue, deque()).extend(deliveries)

    def take(self, queues: list[str], now: float) -> tuple[Delivery | None, int]:
        """The next unexpired delivery kept for one of ``queues`` (chosen at random, so none
        starves), and how many expired ones were dropped on the way."""
        expired = 0
        with self._lock:
            for queue in random.sample(queues, len(queues)):
                kept = self._queues.get(queue)
                while kept:
                    delivery = kept.popleft()
                    if not kept:
                        del self._queues[queue]
                    if delivery[1] > now:
                        return delivery, expired
                    expired += 1
        return None, expired

    def clear(self) -> None:
        with self._lock:
            self._queues.clear()
