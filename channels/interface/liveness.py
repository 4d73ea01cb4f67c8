"""Which workers are alive, as the interface server sees them through their heartbeats.

Workers publish a heartbeat every second (:mod:`channels.layers.heartbeat`) listing the
channels they receive on and the reply channels of the ``http.request`` messages they are
consuming. Once a second, one read of the deployment's records tells the interface server

* whether any live worker receives on ``http.request``: when none does, a new request is
  answered 503 at once (with ``Retry-After``) instead of waiting out the HTTP timeout for a
  worker that does not exist;
* which of its own waiting requests were in the hands of a worker that has since gone (it
  missed its heartbeats: killed, or cut off from the layer): those are answered 503 at once.

Nothing here costs a round trip per request: the read happens on a timer. A layer that keeps
no process registry, or lives in one process (``runserver``'s), is not watched, and then
nothing is refused on its account.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable

from ..exceptions import ChannelLayerError
from ..layers.base import BaseChannelLayer
from ..layers.registry import ProcessRecord, ProcessRegistry, listened_channels, registry_of

logger = logging.getLogger("channels.interface")

#: How often the workers' records are read (seconds).
WATCH_INTERVAL = 1.0
#: Intervals after a start or an outage before "no live worker" is believed.
GRACE_INTERVALS = 3
#: Put on a waiting request's reply queue when the worker consuming it has gone.
WORKER_GONE = object()


def watchable(layer: BaseChannelLayer) -> ProcessRegistry | None:
    """The registry to watch the workers of ``layer`` through, or None when there is none
    to trust (an in-process layer, or one that keeps no registry)."""
    if not getattr(layer, "crosses_processes", True):
        return None
    try:
        return registry_of(layer)
    except TypeError:
        return None


class WorkerWatch:
    """The live workers of the deployment, refreshed every ``interval`` seconds.

    ``on_gone(reply_channels)`` is called with the reply channels of requests that a worker
    which has gone since was consuming.
    """

    def __init__(
        self,
        registry: ProcessRegistry,
        on_gone: Callable[[set[str]], None],
        interval: float = WATCH_INTERVAL,
    ) -> None:
        self.registry = registry
        self.on_gone = on_gone
        self.interval = interval
        self._listened: set[str] | None = None  # None until the first read
        self._told: set[str] = set()
        self._trusted_from = time.monotonic() + self._grace()

    def _grace(self) -> float:
        # Workers beat every second: after a start, or after the store came back (and lost
        # their records), give them a few beats to be seen before believing there are none.
        return GRACE_INTERVALS * max(self.interval, 1.0)

    def serves(self, channel: str) -> bool:
        """False only when the last read, past the grace period, found no live worker
        receiving on ``channel``."""
        if self._listened is None or time.monotonic() < self._trusted_from:
            return True
        return channel in self._listened

    def read(self, records: Iterable[ProcessRecord]) -> None:
        """Take in a fresh read of the deployment's process records."""
        records = list(records)
        self._listened = listened_channels(records)
        live_requests: set[str] = set()
        gone_requests: set[str] = set()
        for record in records:
            if record.get("kind") != "worker":
                continue
            held = set(record.get("in_flight") or ())
            (live_requests if record.get("state") == "live" else gone_requests).update(held)
        orphaned = gone_requests - live_requests - self._told
        # Forget what was told once the gone record itself is forgotten.
        self._told = (self._told & gone_requests) | orphaned
        if orphaned:
            self.on_gone(orphaned)

    async def run(self) -> None:
        """Forever: read the records every ``interval`` seconds."""
        while True:
            try:
                self.read(await self.registry.aprocesses())
            except ChannelLayerError:
                # The layer is away: requests fail on their own meanwhile, and once it is back
                # the workers need a few beats to be seen again.
                self._trusted_from = time.monotonic() + self._grace()
            except Exception:
                logger.exception("could not read the workers' heartbeats")
            await asyncio.sleep(self.interval)


__all__ = ["WATCH_INTERVAL", "WORKER_GONE", "WorkerWatch", "watchable"]
