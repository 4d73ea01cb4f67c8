"""Per-channel capacities: a default, a larger default for process-specific queues, and
overrides by glob or regular expression."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from functools import lru_cache

from .names import is_process_specific

CapacityPatterns = Mapping["str | re.Pattern[str]", int]


def _positive_int(value: object, what: str) -> int:
    if type(value) is not int or value < 1:
        raise ValueError(f"{what} must be a positive int, got {value!r}")
    return value


class Capacities:
    """Looks up the capacity of a queue (a channel name, or a ``prefix!`` queue).

    ``channel_capacity`` maps glob strings (``"http.request"``, ``"daphne.response.*!"``) or
    compiled regexes to capacities; the first pattern that matches the queue name wins.
    Otherwise process-specific queues get ``process_capacity`` and the rest ``capacity``.
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
        for pattern, value in (channel_capacity or {}).items():
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
