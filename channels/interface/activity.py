"""What an interface server reports about itself: open connections, answers, latency.

The bridge counts here (in memory, no I/O per request); a :class:`~channels.layers.heartbeat.
Heartbeat` publishes the totals on a timer, and when a metrics address is set the same events
feed the Prometheus metrics of :mod:`channels.metrics`, served on a socket of their own.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from .. import metrics as prometheus_metrics
from ..layers.heartbeat import Heartbeat
from ..layers.registry import ProcessRegistry

logger = logging.getLogger("channels.interface")

#: The channels an interface server sends to: their queues are in its metrics.
SENT_TO = ("http.request", "websocket.connect", "websocket.receive", "websocket.disconnect")


class InterfaceActivity:
    """Counts of one interface server process (one per bridge).

    ``heartbeat_interval``
        Seconds between heartbeats; None publishes none (also when the layer keeps no
        process registry).
    ``metrics_address``
        ``HOST:PORT`` to serve Prometheus metrics on; None serves none.
    """

    def __init__(
        self,
        layer: Any,
        *,
        heartbeat_interval: float | None = None,
        metrics_address: str | None = None,
    ) -> None:
        if heartbeat_interval is not None and (
            not isinstance(heartbeat_interval, int | float)
            or isinstance(heartbeat_interval, bool)
            or heartbeat_interval <= 0
        ):
            raise ValueError(
                f"the heartbeat interval must be a positive number, got {heartbeat_interval!r}"
            )
        if metrics_address is not None:
            prometheus_metrics.parse_address(metrics_address)  # a bad one fails here, early
            prometheus_metrics.metrics()  # and so does a missing prometheus-client
        self.layer = layer
        self.heartbeat_interval = heartbeat_interval
        self.metrics_address = metrics_address
        self.connections = 0
        self.websockets = 0
        self.handled = 0
        self.failed = 0
        self._lock = threading.Lock()
        self._started = False
        self.heartbeat: Heartbeat | None = None
        self.metrics: Any = None
        self.metrics_server: Any = None

    def start(self) -> None:
        """Start the heartbeat and the metrics server (once; cheap to call again)."""
        if self._started:
            return
        self._started = True
        if self.metrics_address:
            self.metrics = prometheus_metrics.metrics()
            self.metrics.watch_layer(self.layer, lambda: SENT_TO)
            try:
                self.metrics_server = prometheus_metrics.serve(self.metrics_address)
                logger.info("serving metrics on http://%s/metrics", self.metrics_server.address)
            except OSError as exc:
                # Serving connections matters more than serving metrics: log, carry on.
                logger.error("%s; this interface server runs without metrics", exc)
        if self.heartbeat_interval and isinstance(self.layer, ProcessRegistry):
            self.heartbeat = Heartbeat(
                self.layer, "interface", self.describe, self.heartbeat_interval
            ).start()

    def describe(self) -> dict[str, Any]:
        """The changing part of this process's heartbeat record."""
        return {"connections": self.connections, "handled": self.handled, "failed": self.failed}

    def connection_opened(self) -> None:
        """A connection (HTTP request or WebSocket) started; :meth:`connection_closed` must
        follow. (Two calls rather than a context manager: no object per connection.)"""
        with self._lock:
            self.connections += 1

    def connection_closed(self) -> None:
        """A connection counted by :meth:`connection_opened` ended."""
        with self._lock:
            self.connections -= 1
            self.handled += 1

    def websocket_opened(self) -> None:
        """A WebSocket handshake was accepted."""
        with self._lock:
            self.websockets += 1
        if self.metrics is not None:
            self.metrics.websockets_open.inc()

    def websocket_closed(self) -> None:
        """An accepted WebSocket ended."""
        with self._lock:
            self.websockets -= 1
        if self.metrics is not None:
            self.metrics.websockets_open.dec()

    def http_answered(self, status: int) -> None:
        """An HTTP response started with ``status``."""
        if status >= 500:
            with self._lock:
                self.failed += 1
        if self.metrics is not None:
            self.metrics.http_responses.labels(str(status)).inc()

    def first_reply(self, seconds: float) -> None:
        """A worker's first reply came ``seconds`` after the request."""
        if self.metrics is not None:
            self.metrics.reply_latency.observe(seconds)

    def stop(self) -> None:
        """Stop the heartbeat (withdrawing the record) and the metrics server."""
        heartbeat, self.heartbeat = self.heartbeat, None
        if heartbeat is not None:
            heartbeat.stop()
        server, self.metrics_server = self.metrics_server, None
        if server is not None:
            server.close()
        self._started = False
