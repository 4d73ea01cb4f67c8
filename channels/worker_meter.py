"""What a worker counts about its consumers, per channel, and how it reports it.

The worker calls :meth:`WorkerMeter.received` when it routes a message and
:meth:`WorkerMeter.consumed` when the consumer is done: in-memory counters under a lock, no
I/O. :func:`start_reporting` (``runworker``) publishes the totals with a heartbeat and, with a
metrics address, feeds and serves the Prometheus metrics of :mod:`channels.metrics`.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from . import log_context
from . import metrics as prometheus_metrics
from .exceptions import ChannelSocketException, ConsumeLater, DenyConnection
from .layers.heartbeat import DEFAULT_INTERVAL, Heartbeat

#: Exceptions that are a consumer's way of answering, not a failure.
NOT_FAILURES = (ConsumeLater, DenyConnection, ChannelSocketException)
#: Most in-flight requests one heartbeat lists (a worker runs far fewer at once).
MAX_IN_FLIGHT_LISTED = 1000


logger = logging.getLogger("channels.worker")


class WorkerMeter:
    """Per-channel counts of one worker: received, handled, failed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: dict[str, list[int]] = {}
        #: The Prometheus metrics to feed too (see :meth:`feed`), or None.
        self.metrics: Any = None
        # Per channel: its received, handled, failed and duration children (a label lookup
        # costs more than the increment).
        self._children: dict[str, tuple[Any, Any, Any, Any]] = {}
        # Reply channels of the http.request messages being consumed, with how many.
        self._requests: dict[str, int] = {}

    def feed(self, metrics: Any) -> None:
        """Also feed ``metrics`` (a :class:`channels.metrics.Metrics`) from now on."""
        self.metrics = metrics

    def _metrics_of(self, channel: str) -> tuple[Any, Any, Any, Any]:
        children = self._children.get(channel)
        if children is None:
            metrics = self.metrics
            children = self._children[channel] = (
                metrics.received.labels(channel),
                metrics.handled.labels(channel),
                metrics.failed.labels(channel),
                metrics.duration.labels(channel),
            )
        return children

    def _add(self, channel: str, index: int) -> None:
        with self._lock:
            counts = self.counts.get(channel)
            if counts is None:
                counts = self.counts[channel] = [0, 0, 0]
            counts[index] += 1

    def received(self, channel: str) -> None:
        """A message on ``channel`` was routed to a consumer."""
        self._add(channel, 0)
        if self.metrics is not None:
            self._metrics_of(channel)[0].inc()

    def begin(self, channel: str, reply_channel: str | None, consumer: str) -> float:
        """A consumer starts on a message: its log records get these fields (see
        :mod:`channels.log_context`); returns the start time for :meth:`consumed`. An
        ``http.request``'s reply channel is listed in :meth:`in_flight` until it finishes."""
        log_context.bind(channel=channel, reply_channel=reply_channel, consumer=consumer)
        if channel == "http.request" and reply_channel is not None:
            with self._lock:
                self._requests[reply_channel] = self._requests.get(reply_channel, 0) + 1
        return time.perf_counter()

    def in_flight(self) -> list[str]:
        """The reply channels of the ``http.request`` messages being consumed now: the
        heartbeat publishes them, so an interface server whose request was in the hands of
        a worker that died answers 503 at once instead of at its timeout."""
        with self._lock:
            return list(self._requests)[:MAX_IN_FLIGHT_LISTED]

    def consumed(
        self,
        channel: str,
        started: float,
        error: BaseException | None,
        reply_channel: str | None = None,
    ) -> None:
        """The consumer of a message on ``channel``, started at ``started``
        (``time.perf_counter()``), finished; ``error`` is what it raised, if anything."""
        if channel == "http.request" and reply_channel is not None:
            with self._lock:
                left = self._requests.pop(reply_channel, 1) - 1
                if left > 0:
                    self._requests[reply_channel] = left
        failed = error is not None and not isinstance(error, NOT_FAILURES)
        self._add(channel, 2 if failed else 1)
        if self.metrics is not None:
            _, handled, failures, duration = self._metrics_of(channel)
            duration.observe(time.perf_counter() - started)
            (failures if failed else handled).inc()

    def totals(self) -> dict[str, int]:
        """``handled`` and ``failed`` summed over every channel."""
        with self._lock:
            return {
                "handled": sum(counts[1] for counts in self.counts.values()),
                "failed": sum(counts[2] for counts in self.counts.values()),
            }


class WorkerReporting:
    """A worker's heartbeat and metrics server, started by :func:`start_reporting`."""

    def __init__(self, heartbeat: Heartbeat | None, server: Any) -> None:
        self.heartbeat = heartbeat
        self.server = server

    def stop(self) -> None:
        """Withdraw the heartbeat record and stop serving metrics."""
        if self.heartbeat is not None:
            self.heartbeat.stop()
        if self.server is not None:
            self.server.close()


def start_reporting(
    worker: Any,
    channels: list[str],
    *,
    interval: float | None = DEFAULT_INTERVAL,
    metrics_address: str | None = None,
) -> WorkerReporting:
    """Start ``worker``'s heartbeat (every ``interval`` seconds, listing ``channels``; None:
    no heartbeat) and, given ``metrics_address``, its metrics server. Raises ``ValueError``
    for a bad address, ``ImportError`` without prometheus-client, ``OSError`` when the
    address cannot be bound."""
    server = None
    if metrics_address is not None:
        prometheus_metrics.parse_address(metrics_address)
        metrics = prometheus_metrics.metrics()
        worker.meter.feed(metrics)
        metrics.watch_layer(worker.channel_layer, lambda: channels)
        server = prometheus_metrics.serve(metrics_address)
    heartbeat = None
    if interval:

        def describe() -> dict[str, Any]:
            return {
                "channels": channels,
                "in_flight": worker.meter.in_flight(),
                **worker.meter.totals(),
            }

        try:
            heartbeat = Heartbeat(worker.channel_layer, "worker", describe, interval).start()
        except TypeError as exc:  # a layer that keeps no process registry
            logger.warning("this worker publishes no heartbeat: %s", exc)
    return WorkerReporting(heartbeat, server)


__all__ = ["NOT_FAILURES", "WorkerMeter", "WorkerReporting", "start_reporting"]
