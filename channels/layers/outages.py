"""Blocking pops during an outage: how long to back off, and logging it once.

A receive that cannot reach Redis pauses and tries again, longer each time. Each place a
receive pops (a server, or a hash slot of a cluster) counts its own failures for the backoff;
the log says once per server (or cluster) that it is unreachable, and once that it is back
when the last of its failing places pops again. A place nobody has retried for a while (its
receives ended, or its slot moved) is forgotten, so it cannot keep an outage open.

Whoever must react to an outage (the ``channels_redis`` pub/sub layer's ``on_disconnect`` and
``on_reconnect`` notices, see :mod:`~channels.layers.demux`) registers with
:meth:`Outages.watch`, and hears of the same two moments the log reports.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable

from .patience import backoff
from .shards import redis

logger = logging.getLogger("channels.layers.redis")

#: Failures older than this (seconds) no longer count: nobody is retrying there.
FORGET_AFTER = 30.0

#: What an outage watcher is called with: ``(server, reachable)``, False when the layer's
#: receives first fail to reach ``server``, True when they reach it again.
OutageWatcher = Callable[[str, bool], None]


def refused_credentials(server: str, exc: Exception) -> str:
    """What to say when ``server`` refused the layer's password or user."""
    return (
        f"Redis ({server}) refused the layer's credentials: {exc}. Set the password in the "
        "layer's hosts (redis://:PASSWORD@host:6379, or redis://USER:PASSWORD@... for an ACL "
        "user) or in CONFIG['connection_kwargs']['password']"
    )


class Outages:
    """Failure counts per (server, place) for one layer; thread-safe."""

    def __init__(self) -> None:
        self._failing: dict[tuple[str, Hashable], tuple[int, float]] = {}
        self._lock = threading.Lock()
        self._watchers: list[OutageWatcher] = []

    def watch(self, watcher: OutageWatcher) -> None:
        """Call ``watcher(server, reachable)`` when an outage of a server starts and ends.

        It runs in the receive that noticed (any thread or event loop): keep it quick and
        thread-safe. An exception it raises is logged, never passed to that receive."""
        with self._lock:
            self._watchers.append(watcher)

    def unwatch(self, watcher: OutageWatcher) -> None:
        """Stop calling ``watcher``; no error when it was not watching."""
        with self._lock:
            if watcher in self._watchers:
                self._watchers.remove(watcher)

    def _tell(self, server: str, reachable: bool) -> None:
        for watcher in list(self._watchers):
            try:
                watcher(server, reachable)
            except Exception:
                logger.exception("an outage watcher failed: %r", watcher)

    def failed(self, server: str, place: Hashable, exc: Exception) -> float:
        """Note a failed pop at ``place`` on ``server`` (its description); returns the pause
        before the next try: 0.1 s, doubling, at most 2 s."""
        now = time.monotonic()
        with self._lock:
            self._forget_stale(now)
            first_on_server = not any(key[0] == server for key in self._failing)
            failures = self._failing.get((server, place), (0, now))[0] + 1
            self._failing[(server, place)] = (failures, now)
        if first_on_server and isinstance(exc, redis.exceptions.AuthenticationError):
            logger.error("%s; retrying with backoff", refused_credentials(server, exc))
        elif first_on_server:
            logger.warning("Redis (%s) unreachable, retrying with backoff: %s", server, exc)
        if first_on_server:
            self._tell(server, False)
        return backoff(failures - 1, first=0.1, longest=2.0)

    def succeeded(self, server: str, place: Hashable) -> None:
        """Note a pop that worked; logs the recovery when ``server`` has no failing place left."""
        if not self._failing:  # the common case: no outage, no lock
            return
        with self._lock:
            if self._failing.pop((server, place), None) is None:
                return
            self._forget_stale(time.monotonic())
            last_on_server = not any(key[0] == server for key in self._failing)
        if last_on_server:
            logger.warning("Redis (%s) reachable again", server)
            self._tell(server, True)

    def _forget_stale(self, now: float) -> None:
        for key in [k for k, (_, at) in self._failing.items() if now - at > FORGET_AFTER]:
            del self._failing[key]


__all__ = ["OutageWatcher", "Outages"]
