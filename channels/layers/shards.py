"""Redis connections of the Redis layer: one :class:`Shard` per server (or Sentinel service).

Each shard keeps connection pools for the life of the layer (never a connection per call):
one for ordinary commands and one for blocking pops, sync for threads and async per event
loop. Blocking pops get their own socket timeout, longer than the longest pop the layer
issues, so a client default (redis-py 8 uses 5 s) can never cut a pop short.
"""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

try:
    import redis as redis  # re-exported for the layer
    import redis.asyncio
    import redis.asyncio.cluster
    import redis.asyncio.retry
    import redis.asyncio.sentinel
    import redis.cluster
    import redis.crc
    import redis.sentinel
    from redis.backoff import NoBackoff as NoBackoff
    from redis.retry import Retry as Retry
except ImportError:  # pragma: no cover - depends on the environment
    raise ImportError(
        "the Redis channel layer needs redis-py: pip install 'channels-classic[redis]'"
    ) from None

#: Longest single blocking pop; longer waits are several pops in a row.
POP_SLICE = 5.0
#: Socket timeout for blocking-pop connections: a pop's own timeout plus room for the reply.
BLOCKING_SOCKET_TIMEOUT = POP_SLICE + 10.0
#: Connections for ordinary commands, per pool; past it a command waits up to POOL_TIMEOUT for
#: a free one (a burst of a thousand sends queues briefly instead of failing).
MAX_CONNECTIONS = 100
POOL_TIMEOUT = 10.0
#: Blocking pops each hold a connection while they wait: their pool only has a safety cap.
MAX_POP_CONNECTIONS = 10_000

HostSpec = str | tuple[str, int] | Sequence[Any] | Mapping[str, Any]


def _load_scripts() -> dict[str, str]:
    folder = resources.files("channels.layers") / "lua"
    common = (folder / "common.lua").read_text(encoding="utf-8")
    return {
        name: common + "\n" + (folder / f"{name}.lua").read_text(encoding="utf-8")
        for name in (
            "send",
            "send_many",
            "group_send",
            "pop_many",
            "group_members",
            "group_push",
            "note",
        )
    }


#: Lua sources, read once at import, and their SHA1 digests for EVALSHA.
SCRIPTS = _load_scripts()
SHAS = {name: hashlib.sha1(src.encode("utf-8")).hexdigest() for name, src in SCRIPTS.items()}


@dataclass
class _AsyncClients:
    plain: Any
    blocking: Any
    sentinels: list[Any]


def _host_kwargs(host: HostSpec) -> tuple[str | None, dict[str, Any], str]:
    """(url or None, connection kwargs, description) for one entry of ``hosts``."""
    if isinstance(host, str):
        if not host.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(
                f"Redis host {host!r} is not a URL; use 'redis://host:port/db', "
                "'rediss://...' for TLS, or a (host, port) pair"
            )
        return host, {}, host.split("@")[-1]
    if isinstance(host, Mapping):
        kwargs = dict(host)
        return None, kwargs, f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}"
    if isinstance(host, Sequence) and len(host) == 2:
        return None, {"host": host[0], "port": int(host[1])}, f"{host[0]}:{host[1]}"
    raise ValueError(f"cannot use {host!r} as a Redis host: give a URL or a (host, port) pair")


class Shard:
    """One Redis server (or Sentinel service) and the clients that talk to it."""

    def __init__(
        self,
        host: HostSpec | None = None,
        *,
        sentinels: Sequence[tuple[str, int]] | None = None,
        service: str | None = None,
        sentinel_kwargs: Mapping[str, Any] | None = None,
        connection_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        self._options = dict(connection_kwargs or {})
        self._options_given = set(self._options)
        self._max_connections = self._options.pop("max_connections", MAX_CONNECTIONS)
        self._pool_timeout = self._options.pop("pool_timeout", POOL_TIMEOUT)
        self._sentinels = list(sentinels or [])
        self._service = service
        self._sentinel_kwargs = dict(sentinel_kwargs or {})
        # Sentinel objects own connections to the sentinels themselves: closed with the shard.
        self._sync_sentinels: list[Any] = []
        #: Whether this server has BLMPOP (Redis 7+); turned off at the first refusal.
        self.bulk_pops = True
        if service is not None:
            self._url = None
            self._kwargs: dict[str, Any] = {}
            self.description = f"Sentinel service {service!r}"
        else:
            assert host is not None
            self._url, self._kwargs, self.description = _host_kwargs(host)
        # A send is not retried by redis-py: it might already have run (at-most-once).
        self.client = self._sync_client(self._options.get("socket_timeout", 5.0), pops=False)
        self.blocking_client = self._sync_client(
            max(BLOCKING_SOCKET_TIMEOUT, self._options.get("socket_timeout") or 0), pops=True
        )
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _AsyncClients] = (
            weakref.WeakKeyDictionary()
        )

    def _options_with(self, socket_timeout: float, retry: Any) -> dict[str, Any]:
        return {**self._options, "socket_timeout": socket_timeout, "retry": retry}

    def _pool(self, module: Any, options: dict[str, Any], pops: bool) -> Any:
        """A connection pool: for async commands a waiting (blocking) one, since redis-py's
        async pool refuses past its limit; for threads redis-py's plain pool, which is
        effectively unbounded (and cheaper); a wide one for pops."""
        if pops:
            cls, sizing = module.ConnectionPool, {"max_connections": MAX_POP_CONNECTIONS}
        elif module is redis and "max_connections" not in self._options_given:
            cls, sizing = module.ConnectionPool, {}
        else:
            cls = module.BlockingConnectionPool
            sizing = {"max_connections": self._max_connections, "timeout": self._pool_timeout}
        if self._url is not None:
            return cls.from_url(self._url, **options, **sizing)
        return cls(**self._kwargs, **options, **sizing)

    def _sync_client(self, socket_timeout: float, pops: bool) -> Any:
        options = self._options_with(socket_timeout, Retry(NoBackoff(), 0))
        if self._service is not None:
            # Typed loosely: redis-py 7 leaves these calls untyped, redis-py 8 types them.
            sentinel_class: Any = redis.sentinel.Sentinel
            sentinel = sentinel_class(
                self._sentinels, sentinel_kwargs=self._sentinel_kwargs or None
            )
            self._sync_sentinels.append(sentinel)
            return sentinel.master_for(
                self._service, max_connections=MAX_POP_CONNECTIONS, **options
            )
        return redis.Redis(connection_pool=self._pool(redis, options, pops))

    def _async_client(self, socket_timeout: float, sentinels: list[Any], pops: bool) -> Any:
        options = self._options_with(socket_timeout, redis.asyncio.retry.Retry(NoBackoff(), 0))
        if self._service is not None:
            async_sentinel_class: Any = redis.asyncio.sentinel.Sentinel
            sentinel = async_sentinel_class(
                self._sentinels, sentinel_kwargs=self._sentinel_kwargs or None
            )
            sentinels.append(sentinel)
            return sentinel.master_for(
                self._service, max_connections=MAX_POP_CONNECTIONS, **options
            )
        return redis.asyncio.Redis(connection_pool=self._pool(redis.asyncio, options, pops))

    def for_loop(self) -> _AsyncClients:
        """The async clients of the running event loop (async pools belong to one loop)."""
        loop = asyncio.get_running_loop()
        clients = self._async.get(loop)
        if clients is None:
            sentinels: list[Any] = []
            plain = self._async_client(
                self._options.get("socket_timeout", 5.0), sentinels, pops=False
            )
            blocking = self._async_client(
                max(BLOCKING_SOCKET_TIMEOUT, self._options.get("socket_timeout") or 0),
                sentinels,
                pops=True,
            )
            clients = self._async[loop] = _AsyncClients(plain, blocking, sentinels)
        return clients

    def run(self, script: str, keys: list[str], args: list[Any]) -> Any:
        """Run one of :data:`SCRIPTS`: see :func:`run_script`."""
        return run_script(self.client, script, keys, args)

    async def arun(self, script: str, keys: list[str], args: list[Any]) -> Any:
        """Async :meth:`run`, on the running loop's client."""
        return await arun_script(self.for_loop().plain, script, keys, args)

    def close(self) -> None:
        """Disconnect the sync pools; async clients of loops that are gone are dropped."""
        for client in (self.client, self.blocking_client):
            client.connection_pool.disconnect()
        for sentinel in self._sync_sentinels:
            for client in sentinel.sentinels:
                client.close()

    async def aclose_loop_clients(self) -> None:
        """Close the running loop's async clients."""
        clients = self._async.pop(asyncio.get_running_loop(), None)
        if clients is not None:
            await clients.plain.aclose(close_connection_pool=True)
            await clients.blocking.aclose(close_connection_pool=True)
            for sentinel in clients.sentinels:
                for client in sentinel.sentinels:
                    await client.aclose()


def run_script(client: Any, script: str, keys: list[str], args: list[Any]) -> Any:
    """Run one of :data:`SCRIPTS` on ``client``: one EVALSHA round trip, straight to the
    connection (redis-py's Script wrapper costs more than the call on the hot path). A Redis
    that lost its scripts (a restart, SCRIPT FLUSH, a replica promoted) gets it loaded again;
    EVALSHA failing with NOSCRIPT ran nothing, so the retry cannot run it twice."""
    command = ("EVALSHA", SHAS[script], len(keys), *keys, *args)
    try:
        return client.execute_command(*command)
    except redis.exceptions.NoScriptError:
        client.script_load(SCRIPTS[script])
        return client.execute_command(*command)


async def arun_script(client: Any, script: str, keys: list[str], args: list[Any]) -> Any:
    """Async :func:`run_script`."""
    command = ("EVALSHA", SHAS[script], len(keys), *keys, *args)
    try:
        return await client.execute_command(*command)
    except redis.exceptions.NoScriptError:
        await client.script_load(SCRIPTS[script])
        return await client.execute_command(*command)


def shard_index(name: str, count: int) -> int:
    """Which of ``count`` shards holds ``name`` (a queue or group name).

    A jump consistent hash (Lamping and Veach): the same on every process, and growing from
    n to n + 1 shards moves only about 1/(n + 1) of the names.
    """
    if count == 1:
        return 0
    key = int.from_bytes(hashlib.blake2b(name.encode("ascii"), digest_size=8).digest(), "big")
    bucket, jump = -1, 0
    while jump < count:
        bucket = jump
        key = (key * 2862933555777941757 + 1) & 0xFFFFFFFFFFFFFFFF
        jump = int((bucket + 1) * ((1 << 31) / ((key >> 33) + 1)))
    return bucket
