"""The process registry: which processes make up a deployment, and what they counted.

Every long-running process of a site (interface servers, workers) publishes a *process
record* through its channel layer on a timer (:mod:`channels.layers.heartbeat`). A record
lives ``ttl`` seconds in the layer's store, so nothing lingers after its process stopped;
one that missed :data:`GONE_AFTER_BEATS` beats is *gone* (it crashed, or lost the layer)
until it expires and is forgotten. A process that stops cleanly withdraws its record.

With each beat the process also adds the per-queue counts it gathered since the previous
one (:mod:`channels.layers.tally`) to the deployment's counters, so ``manage.py channels``
can show, per queue, how many sends were refused as full and how many messages expired
across every process, at the cost of one round trip per beat.

A record is a JSON-able dict with the keys ``id`` (``host:pid:random``, unique per process
start), ``kind`` (``"interface"`` or ``"worker"``), ``host``, ``pid``, ``started`` (Unix time
the process started publishing), ``heartbeat`` (Unix time of this beat, the writer's clock),
``interval`` (seconds between beats), ``channels`` (what a worker receives on; ``[]``
otherwise), ``connections`` (an interface server's open connections; None for workers),
``handled`` and ``failed`` (workers: consumers run, and those that raised; interface servers:
connections finished, and 5xx answers) and ``ttl`` (seconds the record outlives its beat).

Reading adds ``heartbeat_age`` (seconds since the last beat, by the store's clock, so hosts'
clocks need not agree) and ``state`` (``"live"`` or ``"gone"``).

Layers that keep a registry subclass :class:`ProcessRegistry` besides
:class:`~channels.layers.base.BaseChannelLayer`; :func:`registry_of` finds it or explains.
"""

from __future__ import annotations

import abc
import asyncio
import math
from collections.abc import Iterable
from typing import Any, ClassVar

from .tally import ChannelCounts

ProcessRecord = dict[str, Any]

#: A process that missed this many beats is listed as gone.
GONE_AFTER_BEATS = 3
#: Records live at least this long after their last beat (then they are forgotten).
MIN_FORGET_AFTER = 60.0
#: ... and at least this many beats.
FORGET_AFTER_BEATS = 20


def record_ttl(interval: float) -> float:
    """How long a record (and the counters it touched) outlives its last beat."""
    return max(MIN_FORGET_AFTER, FORGET_AFTER_BEATS * interval)


def process_state(record: ProcessRecord) -> str:
    """``"gone"`` when the record's process missed :data:`GONE_AFTER_BEATS` beats, else
    ``"live"``."""
    late = record["heartbeat_age"] > GONE_AFTER_BEATS * float(record["interval"])
    return "gone" if late else "live"


def with_state(record: ProcessRecord, ttl: float, remaining: float) -> ProcessRecord:
    """A stored record as read back: plus ``heartbeat_age`` (from the ``ttl`` it was stored
    with and the ``remaining`` seconds of it) and ``state``."""
    record = dict(record)
    record["heartbeat_age"] = round(max(0.0, ttl - remaining), 3)
    record["state"] = process_state(record)
    return record


def listened_channels(records: Iterable[ProcessRecord]) -> set[str]:
    """The channels some live worker receives on."""
    return {
        channel
        for record in records
        if record["kind"] == "worker" and record["state"] == "live"
        for channel in record["channels"]
    }


def counts_fields(counts: ChannelCounts) -> dict[str, int]:
    """Counts flattened to ``"counter queue"`` fields (a queue name has no spaces)."""
    return {
        f"{counter} {queue}": amount
        for counter, per_queue in counts.items()
        for queue, amount in per_queue.items()
        if amount
    }


def fields_counts(fields: dict[str, int]) -> ChannelCounts:
    """The inverse of :func:`counts_fields`."""
    counts: ChannelCounts = {}
    for field, amount in fields.items():
        counter, _, queue = field.partition(" ")
        counts.setdefault(counter, {})[queue] = amount
    return counts


def ttl_millis(seconds: float) -> int:
    """A TTL for the store, in whole milliseconds (at least 1)."""
    return max(1, math.ceil(seconds * 1000))


class ProcessRegistry(abc.ABC):
    """What a layer offers ``manage.py channels`` and heartbeats. Mix it into a layer class
    next to :class:`~channels.layers.base.BaseChannelLayer`.

    ``registry_scope`` is ``"deployment"`` when every process using the same layer settings
    sees the same registry, ``"process"`` when the layer sees only its own process (the
    in-memory layer).
    """

    registry_scope: ClassVar[str] = "deployment"

    @abc.abstractmethod
    def publish_process(self, record: ProcessRecord, ttl: float, counts: ChannelCounts) -> None:
        """Store ``record`` for ``ttl`` seconds (replacing this process's previous one) and
        add ``counts`` to the deployment's counters, which expire ``ttl`` seconds after the
        last publish. Raise the layer's usual errors when the store is unreachable."""

    @abc.abstractmethod
    def withdraw_process(self, process_id: str) -> None:
        """Remove the record of ``process_id`` (a clean stop)."""

    @abc.abstractmethod
    def processes(self) -> list[ProcessRecord]:
        """Every record not yet forgotten, each with ``heartbeat_age`` and ``state``
        (:func:`with_state`), oldest process first."""

    @abc.abstractmethod
    def deployment_counts(self) -> ChannelCounts:
        """The deployment's counters: ``{counter: {queue: count}}``."""

    @abc.abstractmethod
    def queue_names(self) -> list[str]:
        """Every queue that holds messages right now (channel names; ``prefix!`` for
        process-specific ones)."""

    @abc.abstractmethod
    def group_names(self) -> list[str]:
        """Every group that has (or recently had) members."""

    async def aprocesses(self) -> list[ProcessRecord]:
        """Async :meth:`processes` (runs it in a thread unless a layer has a native one)."""
        return await asyncio.to_thread(self.processes)


def registry_of(layer: Any) -> ProcessRegistry:
    """The registry of ``layer`` (or of the layer a wrapper carries); a ``TypeError`` that
    says what to do when the layer keeps none."""
    inner = getattr(layer, "channel_layer", layer)
    if isinstance(inner, ProcessRegistry):
        return inner
    cls = type(inner)
    raise TypeError(
        f"channel layer {cls.__module__}.{cls.__qualname__} keeps no process registry, so "
        "its processes, queues and groups cannot be listed. Use a layer that subclasses "
        "channels.layers.registry.ProcessRegistry, such as "
        "channels.layers.redis.RedisChannelLayer, or add it to this one"
    )
