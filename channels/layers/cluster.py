"""Redis Cluster connections of the Redis layer: :class:`ClusterShard`, one for a whole cluster.

A cluster spreads keys over 16384 hash slots, each owned by one primary. redis-py's cluster
clients discover the nodes from any one of them, route each command by its key's slot, follow
``MOVED`` and ``ASK`` redirections (slot migrations) and refresh their map of the cluster after
a connection error (a failover). This module gives the layer those clients behind the same
interface as a :class:`~channels.layers.shards.Shard`, so the layer's commands, scripts and
pops run unchanged; the layer only has to keep every multi-key command and script on keys
of one slot (see :func:`by_slot` and :mod:`channels.layers.cluster_groups`).

The key names are the single-server ones: each is one key in one slot, so nothing needs a
hash tag, and a deployment that moves from one server to a cluster keeps its key layout.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from .shards import (
    BLOCKING_SOCKET_TIMEOUT,
    MAX_POP_CONNECTIONS,
    SCRIPTS,
    SHAS,
    HostSpec,
    NoBackoff,
    Retry,
    Shard,
    _AsyncClients,
    _host_kwargs,
    arun_script,
    redis,
    run_script,
)

logger = logging.getLogger("channels.layers.redis")

#: What a cluster answers while it fails over or moves slots: the node is gone or not yet
#: replaced, the slot is not covered, or a multi-key command met a half-migrated slot.
CLUSTER_TRANSIENT = (
    redis.exceptions.ClusterDownError,
    redis.exceptions.TryAgainError,
    redis.exceptions.RedisClusterException,
)

#: A script or pipeline call: (script name, keys, args).
ScriptCall = tuple[str, list[str], list[Any]]


def key_slot(key: str) -> int:
    """The cluster hash slot of ``key`` (a ``{tag}`` in it decides, as in Redis)."""
    return int(redis.crc.key_slot(key.encode("utf-8")))


def by_slot(keys: Sequence[str]) -> list[list[str]]:
    """``keys`` grouped by hash slot, in first-seen order: one multi-key command per group."""
    groups: dict[int, list[str]] = {}
    for key in keys:
        groups.setdefault(key_slot(key), []).append(key)
    return list(groups.values())


def detect_cluster(host: HostSpec, connection_kwargs: Mapping[str, Any]) -> bool | None:
    """Ask the server at ``host`` whether it runs in cluster mode (``INFO cluster``): True or
    False, or None when it cannot be asked (unreachable, or ``INFO`` not allowed)."""
    url, kwargs, _ = _host_kwargs(host)
    options = {
        **connection_kwargs,
        **kwargs,
        "socket_timeout": 2.0,
        "socket_connect_timeout": 2.0,
        "retry": Retry(NoBackoff(), 0),
    }
    options.pop("max_connections", None)
    options.pop("pool_timeout", None)
    client = redis.Redis.from_url(url, **options) if url else redis.Redis(**options)
    try:
        info = client.info("cluster")
    except redis.exceptions.RedisError as exc:
        logger.debug("could not ask %r whether it is a cluster node: %s", host, exc)
        return None
    finally:
        client.close()
    return bool(info.get("cluster_enabled"))


def _startup(hosts: Sequence[HostSpec]) -> tuple[str | None, list[tuple[str, int]], dict[str, Any]]:
    """The first URL (its TLS and credentials apply to all nodes), the other nodes'
    addresses, and connection kwargs from ``{"host": ..., "port": ..., ...}`` hosts."""
    first_url = None
    nodes: list[tuple[str, int]] = []
    extra: dict[str, Any] = {}
    for host in hosts:
        url, kwargs, _ = _host_kwargs(host)
        if url is not None and url.startswith("unix://"):
            raise ValueError(f"a Redis Cluster is reached over TCP, not {url!r}")
        db = int(redis.connection.parse_url(url).get("db", 0)) if url else 0  # type: ignore[no-untyped-call]
        if db:
            raise ValueError(
                f"a Redis Cluster has only database 0, but {url!r} asks for database {db}: "
                "drop the database number from the URL (use the layer's prefix to separate sites)"
            )
        if url is not None and first_url is None:
            first_url = url
            continue
        if url is not None:
            # Only the address: the first URL's credentials and TLS apply to every node.
            parsed = redis.connection.parse_url(url)  # type: ignore[no-untyped-call]
            kwargs = {"host": parsed.get("host"), "port": parsed.get("port")}
        kwargs = dict(kwargs)
        nodes.append(
            (kwargs.pop("host", None) or "localhost", int(kwargs.pop("port", None) or 6379))
        )
        kwargs.pop("db", None)  # a cluster has database 0 only
        extra.update(kwargs)
    return first_url, nodes, extra


class ClusterShard:
    """A whole Redis Cluster, with the interface of :class:`~channels.layers.shards.Shard`.

    Its clients are redis-py cluster clients, sync and per event loop, for ordinary commands
    and for blocking pops (with the long socket timeout pops need). None of them retries a
    failed command: a send that may have run is not run twice (as on one server); the layer
    reports the outage, and the client's next command finds the cluster's new layout.
    """

    #: Whether the cluster has BLMPOP (Redis 7+); turned off at the first refusal.
    bulk_pops = True

    def __init__(
        self, hosts: Sequence[HostSpec], *, connection_kwargs: Mapping[str, Any] | None = None
    ) -> None:
        self._options = dict(connection_kwargs or {})
        self._max_connections = self._options.pop("max_connections", None)
        self._options.pop("pool_timeout", None)
        self._url, self._nodes, extra = _startup(hosts)
        self._options.update(extra)
        self.description = "Redis Cluster via " + ", ".join(_host_kwargs(host)[2] for host in hosts)
        # redis-py's sync cluster client asks the cluster for its layout when it is made:
        # make it at first use, so that a layer can be built while Redis is unreachable.
        self._sync: dict[str, Any] = {}
        self._sync_lock = threading.Lock()
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _AsyncClients] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def client(self) -> Any:
        """The sync cluster client for ordinary commands."""
        return self._sync.get("plain") or self._made(
            "plain", self._options.get("socket_timeout", 5.0)
        )

    @property
    def blocking_client(self) -> Any:
        """The sync cluster client for blocking pops."""
        return self._sync.get("blocking") or self._made(
            "blocking", max(BLOCKING_SOCKET_TIMEOUT, self._options.get("socket_timeout") or 0)
        )

    def _made(self, kind: str, socket_timeout: float) -> Any:
        with self._sync_lock:
            if kind not in self._sync:
                self._sync[kind] = self._sync_client(socket_timeout)
            return self._sync[kind]

    def _sync_client(self, socket_timeout: float) -> Any:
        options: dict[str, Any] = {
            **self._options,
            "socket_timeout": socket_timeout,
            "retry": Retry(NoBackoff(), 0),
        }
        if self._max_connections is not None:
            options["max_connections"] = self._max_connections
        cluster_node: Any = redis.cluster.ClusterNode
        nodes = [cluster_node(host, port) for host, port in self._nodes]
        cluster_class: Any = redis.cluster.RedisCluster
        if self._url is not None:
            return cluster_class.from_url(self._url, startup_nodes=nodes, **options)
        return cluster_class(startup_nodes=nodes, **options)

    def _async_client(self, socket_timeout: float) -> Any:
        # The async client refuses a command past max_connections a node instead of waiting:
        # allow as many as the pops' pool, so a burst of sends opens connections, not errors.
        options: dict[str, Any] = {
            **self._options,
            "socket_timeout": socket_timeout,
            "retry": redis.asyncio.retry.Retry(NoBackoff(), 0),
            "max_connections": self._max_connections or MAX_POP_CONNECTIONS,
        }
        nodes = [redis.asyncio.cluster.ClusterNode(host, port) for host, port in self._nodes]
        cluster_class: Any = redis.asyncio.cluster.RedisCluster
        if self._url is not None:
            return cluster_class.from_url(self._url, startup_nodes=nodes, **options)
        return cluster_class(startup_nodes=nodes, **options)

    def for_loop(self) -> _AsyncClients:
        """The async clients of the running event loop (async clients belong to one loop)."""
        loop = asyncio.get_running_loop()
        clients = self._async.get(loop)
        if clients is None:
            plain = self._async_client(self._options.get("socket_timeout", 5.0))
            blocking = self._async_client(
                max(BLOCKING_SOCKET_TIMEOUT, self._options.get("socket_timeout") or 0)
            )
            clients = self._async[loop] = _AsyncClients(plain, blocking, [])
        return clients

    # -- scripts ----------------------------------------------------------------------------

    def run(self, script: str, keys: list[str], args: list[Any]) -> Any:
        """Run a script on the node of its keys' slot (see
        :func:`~channels.layers.shards.run_script`; a script load goes to every primary)."""
        return run_script(self.client, script, keys, args)

    async def arun(self, script: str, keys: list[str], args: list[Any]) -> Any:
        """Async :meth:`run`, on the running loop's client."""
        return await arun_script(self.for_loop().plain, script, keys, args)

    def run_many(self, calls: Sequence[ScriptCall]) -> list[Any]:
        """Run scripts in one pipeline: redis-py sends each node its share at once, so the
        cost is one round trip per node involved. Returns each call's reply, or the error
        it met; calls refused with NOSCRIPT (they ran nothing) are loaded and run again."""
        replies = self._pipelined(self.client, calls)
        missing = _missing_scripts(calls, replies)
        if missing:
            for name in {calls[index][0] for index in missing}:
                self.client.script_load(SCRIPTS[name])
            for index, reply in zip(
                missing, self._pipelined(self.client, [calls[i] for i in missing]), strict=True
            ):
                replies[index] = reply
        return replies

    async def arun_many(self, calls: Sequence[ScriptCall]) -> list[Any]:
        """Async :meth:`run_many`, on the running loop's client."""
        client = self.for_loop().plain
        replies = await self._apipelined(client, calls)
        missing = _missing_scripts(calls, replies)
        if missing:
            for name in {calls[index][0] for index in missing}:
                await client.script_load(SCRIPTS[name])
            again = await self._apipelined(client, [calls[i] for i in missing])
            for index, reply in zip(missing, again, strict=True):
                replies[index] = reply
        return replies

    @staticmethod
    def _pipelined(client: Any, calls: Sequence[ScriptCall]) -> list[Any]:
        pipe = client.pipeline()
        for name, keys, args in calls:
            pipe.execute_command("EVALSHA", SHAS[name], len(keys), *keys, *args)
        return list(pipe.execute(raise_on_error=False))

    @staticmethod
    async def _apipelined(client: Any, calls: Sequence[ScriptCall]) -> list[Any]:
        pipe = client.pipeline()
        for name, keys, args in calls:
            pipe.execute_command("EVALSHA", SHAS[name], len(keys), *keys, *args)
        return list(await pipe.execute(raise_on_error=False))

    # -- closing ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the sync clients' connections (they reconnect if used again, as a
        :class:`~channels.layers.shards.Shard` does); async clients of loops that are gone
        are dropped."""
        for client in list(self._sync.values()):
            client.disconnect_connection_pools()

    async def aclose_loop_clients(self) -> None:
        """Close the running loop's async clients."""
        clients = self._async.pop(asyncio.get_running_loop(), None)
        if clients is not None:
            await clients.plain.aclose()
            await clients.blocking.aclose()


def _missing_scripts(calls: Sequence[ScriptCall], replies: list[Any]) -> list[int]:
    return [
        index
        for index, reply in enumerate(replies)
        if isinstance(reply, redis.exceptions.NoScriptError)
    ]


#: What the layer talks to: one server (or Sentinel service), or a whole cluster.
LayerShard = Shard | ClusterShard

__all__ = [
    "CLUSTER_TRANSIENT",
    "ClusterShard",
    "LayerShard",
    "by_slot",
    "detect_cluster",
    "key_slot",
]
