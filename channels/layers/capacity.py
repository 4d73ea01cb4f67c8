"""Per-channel capacities: a default, larger defaults for the interface server's channels and
for process-specific queues, and overrides by glob or regular expression."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from functools import lru_cache

from .names import is_process_specific

CapacityPatterns = Mapping["str | re.Pattern[str]", int]

#: Capacities every layer gives the channels interface servers send to, after the patterns of
#: ``channel_capacity``. A burst (2,000 long-poll requests parked with ``ResponseLater``, a
#: reconnect storm of sockets) arrives faster than workers take it, so these queues must hold
#: it: at 100 such a burst was answered 503 in part while workers were idle. A deployment with
#: no live worker is still answered 503 at once (the interface server checks the workers'
#: heartbeats), and a full queue still is: the limit only moved past a burst.
DEFAULT_CHANNEL_CAPACITY: dict[str, int] = {"http.request": 5_000, "websocket.*": 5_000}


def _positive_int(value: object, what: str) -> int:
    if type(value) is not int or value < 1:
        raise ValueError(f"{what} must be a positive int, got {value!r}")
    return value


class Capacities:
    """Looks up the capacity of a queue (a channel name, or a ``prefix!`` queue).

    ``channel_capacity`` maps glob strings (``"http.request"``, ``"daphne.response.*!"``) or
    compiled regexes to capacities; the first pattern that matches the queue name wins, then
    those of :data:`DEFAULT_CHANNEL_CAPACITY`. Otherwise process-specific queues get
    ``process_capacity`` and the rest ``capacity``.
    """

    def __init__(
        self,
        capacity: int,
        process_capacity: int,
        channel_capacity: CapacityPatterns | None = None,
    ) -> None:
        self.default = _positive_int(capacity, "capacity")
        self.process_default = _positive_int(process_capacity, "process_capacity")
        self.patterns: list[tuple[re.Pattern[str], int]] = []
        patterns = {**(channel_capacity or {})}
        for name, value in DEFAULT_CHANNEL_CAPACITY.items():
            patterns.setdefault(name, value)
        for pattern, value in patterns.items():
            if isinstance(pattern, str):
                compiled = re.compile(fnmatch.translate(pattern))
            elif isinstance(pattern, re.Pattern):
                compiled = pattern
            else:
                raise TypeError(
                    "channel_capacity keys must be glob strings or compiled regexes, "
                    f"got {pattern!r}"
                )
            self.patterns.append((compiled, _positive_int(value, f"channel_capacity[{pattern!r}]")))
        # Queue names repeat (a handful of channels, one prefix per server): cache lookups.
        self.of = lru_cache(maxsize=4096)(self._lookup)

    def _lookup(self, queue: str) -> int:
        for pattern, value in self.patterns:
            if pattern.match(queue):
                return value
        return self.process_default if is_process_specific(queue) else self.default
