"""Prometheus metrics of a process, served on a listening socket of their own.

Needs ``pip install 'channels-classic[metrics]'`` (``prometheus-client``). ``runworker --metrics
ADDR:PORT`` and the interface server's ``CHANNELS_METRICS_ADDRESS`` setting start
:func:`serve`; nothing here runs otherwise, and the metrics are never served on the public
HTTP port. Every name is defined here, once (see ``docs/operations.rst``):

==========================================  ========  =========  =========================
name                                        type      labels     counted by
==========================================  ========  =========  =========================
``channels_messages_received_total``        counter   channel    workers
``channels_messages_handled_total``         counter   channel    workers
``channels_messages_failed_total``          counter   channel    workers
``channels_consumer_duration_seconds``      histogram channel    workers
``channels_queue_depth``                    gauge     channel    both, at scrape time
``channels_queue_oldest_age_seconds``       gauge     channel    both, at scrape time
``channels_channel_full_total``             counter   channel    both (this process)
``channels_messages_expired_total``         counter   channel    both (this process)
``channels_websockets_open``                gauge     -          interface servers
``channels_http_responses_total``           counter   status     interface servers
``channels_reply_latency_seconds``          histogram -          interface servers
==========================================  ========  =========  =========================

This module imports no Django: interface servers use it too.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

logger = logging.getLogger("channels.metrics")

_ADDRESS = re.compile(r"^(?:\[(?P<v6>[0-9a-fA-F:.]+)\]|(?P<host>[^:\[\]]+)):(?P<port>\d{1,5})$")

#: Buckets for consumer durations and reply latencies, in seconds.
BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def parse_address(value: str) -> tuple[str, int]:
    """``"HOST:PORT"`` (``"[::1]:9000"`` for IPv6) as ``(host, port)``; a ``ValueError`` that
    shows the expected form otherwise."""
    found = _ADDRESS.match(value.strip()) if isinstance(value, str) else None
    if found is None or not 0 <= int(found["port"]) <= 65535:
        raise ValueError(
            f"a metrics address must look like '127.0.0.1:9100' (or '[::1]:9100'), got {value!r}"
        )
    return found["v6"] or found["host"], int(found["port"])


def _client() -> Any:
    try:
        import prometheus_client
        import prometheus_client.core
    except ImportError:
        raise ImportError(
            "serving metrics needs prometheus-client: pip install 'channels-classic[metrics]'"
        ) from None
    return prometheus_client


class Metrics:
    """The metric objects of this process, on a registry of their own."""

    def __init__(self) -> None:
        client = _client()
        self.registry = client.CollectorRegistry()
        on = {"registry": self.registry}
        self.received = client.Counter(
            "channels_messages_received",
            "Messages a worker took from a channel and routed.",
            ["channel"],
            **on,
        )
        self.handled = client.Counter(
            "channels_messages_handled",
            "Messages whose consumer finished without an error.",
            ["channel"],
            **on,
        )
        self.failed = client.Counter(
            "channels_messages_failed",
            "Messages whose consumer raised an error.",
            ["channel"],
            **on,
        )
        self.duration = client.Histogram(
            "channels_consumer_duration_seconds",
            "How long consumers ran.",
            ["channel"],
            buckets=BUCKETS,
            **on,
        )
        self.websockets_open = client.Gauge(
            "channels_websockets_open", "WebSockets open on this interface server.", **on
        )
        self.http_responses = client.Counter(
            "channels_http_responses",
            "HTTP responses sent by this interface server, by status.",
            ["status"],
            **on,
        )
        self.reply_latency = client.Histogram(
            "channels_reply_latency_seconds",
            "From receiving an HTTP request to the first reply from a worker.",
            buckets=BUCKETS,
            **on,
        )
        self._layers: list[_LayerCollector] = []
        self._lock = threading.Lock()

    def watch_layer(self, layer: Any, channels: Callable[[], Iterable[str]]) -> None:
        """At each scrape, report the queues of ``channels()`` on ``layer`` and this
        process's refused and expired counts (once per layer object)."""
        layer = getattr(layer, "channel_layer", layer)
        with self._lock:
            for collector in self._layers:
                if collector.layer is layer:
                    collector.sources.append(channels)
                    return
            collector = _LayerCollector(layer, channels)
            self._layers.append(collector)
        self.registry.register(collector)


class _LayerCollector:
    """Queue depth and age (asked of the layer at scrape time) and the layer's tally."""

    def __init__(self, layer: Any, channels: Callable[[], Iterable[str]]) -> None:
        self.layer = layer
        self.sources = [channels]

    def describe(self) -> list[Any]:
        return []  # computed at each scrape; nothing to check at registration

    def collect(self) -> Iterator[Any]:
        core = _client().core
        depth = core.GaugeMetricFamily(
            "channels_queue_depth", "Messages waiting on a channel.", labels=["channel"]
        )
        age = core.GaugeMetricFamily(
            "channels_queue_oldest_age_seconds",
            "Age of the oldest message waiting on a channel (0 when empty).",
            labels=["channel"],
        )
        for channel in sorted({name for source in self.sources for name in source()}):
            try:
                statistics = self.layer.channel_statistics(channel)
            except Exception as exc:
                logger.warning("metrics: no statistics for %r: %s", channel, exc)
                continue
            depth.add_metric([channel], statistics["messages_pending"])
            age.add_metric([channel], statistics["oldest_message_age"] or 0.0)
        yield depth
        yield age
        totals = self.layer.tally.totals()
        for counter, name, text in (
            ("channel_full_count", "channels_channel_full", "Sends refused as full."),
            ("messages_expired", "channels_messages_expired", "Messages that expired unread."),
        ):
            family = core.CounterMetricFamily(name, text, labels=["channel"])
            for queue, amount in sorted(totals.get(counter, {}).items()):
                family.add_metric([queue], amount)
            yield family


_metrics: Metrics | None = None
_metrics_lock = threading.Lock()


def metrics() -> Metrics:
    """This process's :class:`Metrics` (made on first use)."""
    global _metrics
    with _metrics_lock:
        if _metrics is None:
            _metrics = Metrics()
        return _metrics


class MetricsServer:
    """Serves ``/metrics`` (any path, in fact) on ``address`` from a thread of its own."""

    def __init__(self, address: str) -> None:
        self.host, port = parse_address(address)
        client = _client()
        try:
            self._server, self._thread = client.start_http_server(
                port, addr=self.host, registry=metrics().registry
            )
        except OSError as exc:
            raise OSError(f"cannot serve metrics on {address!r}: {exc}") from exc
        self.port: int = self._server.server_port

    @property
    def address(self) -> str:
        """``host:port`` it listens on (the real port when 0 was asked for)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def close(self) -> None:
        """Stop listening."""
        self._server.shutdown()
        self._server.server_close()


def serve(address: str) -> MetricsServer:
    """Start serving this process's metrics on ``address`` (``HOST:PORT``)."""
    return MetricsServer(address)


__all__ = ["BUCKETS", "Metrics", "MetricsServer", "metrics", "parse_address", "serve"]
