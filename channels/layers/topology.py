"""Which Redis servers a Redis layer talks to: one or several (sharding), Sentinel services, or
one Redis Cluster, and how the layer finds out which.

A layer is built without touching the network. When its options do not say whether ``hosts``
form a cluster, the first use asks the first host (``INFO cluster``); if that cannot be asked,
the layer starts as for independent servers, and a ``MOVED`` reply (only cluster nodes send
it) switches it to cluster mode.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from ..exceptions import ChannelLayerUnavailable
from .cluster import ClusterShard, LayerShard, detect_cluster
from .shards import HostSpec, Shard, redis

logger = logging.getLogger("channels.layers.redis")

DEFAULT_HOST = "redis://127.0.0.1:6379"


class Topology:
    """The shards of one layer (see the module docstring); thread-safe."""

    def __init__(
        self,
        hosts: Sequence[HostSpec] | str | None,
        *,
        sentinels: Sequence[tuple[str, int]] | None,
        services: Sequence[str] | None,
        sentinel_kwargs: dict[str, Any] | None,
        connection_kwargs: dict[str, Any],
        cluster: bool | None,
    ) -> None:
        self._connection_kwargs = connection_kwargs
        self._shards: list[LayerShard] | None = None
        self._lock = threading.Lock()
        self.hosts: list[HostSpec] = []
        if sentinels:
            if cluster:
                raise ValueError("Sentinel and cluster mode exclude each other: drop one")
            if hosts:
                raise ValueError("give either hosts or sentinels (with services), not both")
            if not services or isinstance(services, str):
                raise ValueError(
                    f"sentinels need services, a list of monitored master names; got {services!r}"
                )
            self._shards = [
                Shard(
                    sentinels=sentinels,
                    service=service,
                    sentinel_kwargs=sentinel_kwargs,
                    connection_kwargs=connection_kwargs,
                )
                for service in services
            ]
        else:
            self.hosts = [hosts] if isinstance(hosts, str) else list(hosts or [DEFAULT_HOST])
            if cluster is not None:
                self._shards = self._make(cluster)

    @property
    def shards(self) -> list[LayerShard]:
        """The shards; the first call may ask the first host whether it is a cluster node
        (one round trip, once per layer, possibly on an event loop)."""
        shards = self._shards
        if shards is None:
            with self._lock:
                if self._shards is None:
                    cluster = detect_cluster(self.hosts[0], self._connection_kwargs)
                    self._shards = self._make(cluster)
                shards = self._shards
        return shards

    @property
    def made(self) -> list[LayerShard]:
        """The shards if they exist yet, else none (for closing without connecting)."""
        return self._shards or []

    @property
    def cluster(self) -> ClusterShard | None:
        """The cluster, or None (independent servers or Sentinel)."""
        shard = self.shards[0]
        return shard if isinstance(shard, ClusterShard) else None

    def _make(self, cluster: bool | None) -> list[LayerShard]:
        if cluster:
            return [ClusterShard(self.hosts, connection_kwargs=self._connection_kwargs)]
        return [Shard(host, connection_kwargs=self._connection_kwargs) for host in self.hosts]

    def moved(self, shard: LayerShard, exc: redis.exceptions.MovedError) -> Exception:
        """A server answered ``MOVED``: unless already in cluster mode, switch to it, and
        return the error for the call that met it (it ran nothing; the next call works)."""
        with self._lock:
            old = self.made
            if not old or isinstance(old[0], ClusterShard):
                return exc  # the cluster client follows redirections; or another thread switched
            logger.warning("Redis at %s answered MOVED: switching to cluster mode", self.hosts[0])
            self._shards = self._make(True)
        for stale in old:
            stale.close()
        return ChannelLayerUnavailable(
            f"Redis ({shard.description}) is a cluster node ({exc}); the layer has switched "
            'to cluster mode, so retry. Set "cluster": True in the layer\'s CONFIG to start '
            "in it."
        )

    def describe(self) -> str:
        """The shards' descriptions, or the hosts when nothing is connected yet."""
        if self._shards is None:
            return ", ".join(repr(host) for host in self.hosts)
        return ", ".join(shard.description for shard in self._shards)


__all__ = ["DEFAULT_HOST", "Topology"]
