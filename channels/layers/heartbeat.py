"""A process announcing itself: its record and its counts, published on a timer.

::

    heartbeat = Heartbeat(layer, "worker", describe=lambda: {"channels": [...], ...})
    heartbeat.start()   # publishes at once, then every ``interval`` seconds
    ...
    heartbeat.stop()    # withdraws the record: a clean stop is not "gone"

It runs on a daemon thread of its own with the layer's sync API, so it beats whatever the
process's event loops and threads are doing. A beat that fails (the layer is unreachable) is
logged once, its counts are kept for the next beat, and the thread carries on.
"""

from __future__ import annotations

import atexit
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from .registry import ProcessRecord, record_ttl, registry_of

logger = logging.getLogger("channels.layers")

#: Seconds between beats unless told otherwise.
DEFAULT_INTERVAL = 1.0

KINDS = ("interface", "worker")


class Heartbeat:
    """Publishes this process's record through ``layer``'s registry every ``interval``
    seconds.

    ``describe()`` returns the changing part of the record: ``channels``, ``connections``,
    ``handled``, ``failed`` (any may be left out). It is called on the heartbeat's thread.
    """

    def __init__(
        self,
        layer: Any,
        kind: str,
        describe: Callable[[], dict[str, Any]] | None = None,
        interval: float = DEFAULT_INTERVAL,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS!r}, got {kind!r}")
        if not isinstance(interval, int | float) or isinstance(interval, bool) or interval <= 0:
            raise ValueError(f"the heartbeat interval must be a positive number, got {interval!r}")
        self.layer = getattr(layer, "channel_layer", layer)
        self.registry = registry_of(self.layer)
        self.kind = kind
        self.describe = describe or dict
        self.interval = float(interval)
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.id = f"{self.host}:{self.pid}:{secrets.token_hex(4)}"
        self.started = time.time()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    def record(self) -> ProcessRecord:
        """This process's record as of now."""
        record: ProcessRecord = {
            "id": self.id,
            "kind": self.kind,
            "host": self.host,
            "pid": self.pid,
            "started": self.started,
            "heartbeat": time.time(),
            "interval": self.interval,
            "channels": [],
            "connections": None,
            "handled": 0,
            "failed": 0,
        }
        record.update(self.describe())
        return record

    def beat(self) -> bool:
        """Publish once; False (logged once per outage) when the layer refused it."""
        counts = self.layer.tally.drain()
        try:
            self.registry.publish_process(self.record(), record_ttl(self.interval), counts)
        except Exception as exc:
            self.layer.tally.restore(counts)
            if not self._failing:
                self._failing = True
                logger.warning(
                    "heartbeat of %s %s could not be published: %s; retrying every %s s",
                    self.kind,
                    self.id,
                    exc,
                    self.interval,
                )
            return False
        if self._failing:
            self._failing = False
            logger.warning("heartbeat of %s %s published again", self.kind, self.id)
        return True

    def start(self) -> Heartbeat:
        """Beat now, then every ``interval`` seconds on a daemon thread."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"channels-heartbeat-{self.kind}", daemon=True
            )
            self._thread.start()
            # A process that exits normally (daphne on SIGTERM) withdraws its record.
            atexit.register(self.stop)
        return self

    def _run(self) -> None:
        while True:
            self.beat()
            if self._stop.wait(self.interval):
                return

    def stop(self) -> None:
        """Stop beating and withdraw the record (best effort: a record that cannot be
        withdrawn expires by itself)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is None:
            return
        atexit.unregister(self.stop)
        thread.join(self.interval + 5)
        self.beat()  # the counts gathered since the last beat still count
        try:
            self.registry.withdraw_process(self.id)
        except Exception as exc:
            logger.warning("could not withdraw the record of %s %s: %s", self.kind, self.id, exc)


__all__ = ["DEFAULT_INTERVAL", "Heartbeat"]
