"""The Redis channel layer: any number of processes and machines over one or more Redis servers.

Where the round trips go (the 2016 design spent about ten per HTTP request, polled, and
stored one copy per group member):

* ``send``: one server-side script checks capacity (dropping expired heads only when full),
  pushes and renews the key's expiry. The message is stored inline, in the list.
* ``receive``: a blocking pop on the server (``BLPOP``), on a connection kept for blocking
  pops; no polling and no sleeps. Every channel under a process-specific prefix lives in one
  list, so an interface server needs one pop for all its connections. ``areceive`` on one
  shard pops in its own coroutine (:mod:`~channels.layers.inline_pop`).
* ``send_group``: one script per shard. Membership is stored on the shard of each member's
  queue, and members that share a process-specific prefix get one stored copy naming all of
  them, which the receiving layer hands out one per member.
* statistics come from list lengths and the expiry stamped in each message.

Several ``hosts`` shard the layer by a consistent (jump) hash of the queue name
(process-specific channels by their prefix), so adding a host moves only its share of names.
A blocking receive over queues on several shards pops on all of them at once; a message
that arrives while another one is being returned is kept in this process and returned by
the next receive.

On a Redis Cluster (detected from the server, or ``cluster=True``) the whole cluster is one
:class:`~channels.layers.cluster.ClusterShard`: keys keep their names, multi-key commands
are split by hash slot, and ``send_group`` goes through :mod:`channels.layers.cluster_groups`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ..concurrency import LoopThread
from ..exceptions import ChannelLayerAuthenticationError, ChannelLayerUnavailable
from . import cluster_groups, envelope
from .base import Message, Received, SendResult
from .cluster import ClusterShard, LayerShard, by_slot, key_slot
from .codec import decode_message
from .membership import ADD, DISCARD
from .names import check_channel_name, check_group_name, queue_name
from .outages import Outages, OutageWatcher, refused_credentials
from .popped import OrphanedPops, PoppedMessages
from .redis_inspection import RedisInspection
from .redis_receive import UNREACHABLE, RedisReceiving
from .redis_registry import RedisRegistry
from .shards import POP_SLICE, HostSpec, redis, shard_index
from .topology import Topology

logger = logging.getLogger("channels.layers.redis")

#: A ``send_many`` script call: (shard index or hash slot, keys, args, indexes of its items).
SendManyCall = tuple[int, list[str], list[Any], list[int]]


def _raised(replies: list[Any]) -> list[Any]:
    """A pipeline's replies, raising the first error one of them met."""
    for reply in replies:
        if isinstance(reply, Exception):
            raise reply
    return replies


class RedisChannelLayer(RedisReceiving, RedisRegistry, RedisInspection):
    """A channel layer on Redis, shared by every process that uses the same ``hosts`` and
    ``prefix``.

    Options, besides those of :class:`~channels.layers.base.BaseChannelLayer`:

    ``hosts``
        Redis servers: ``redis://``, ``rediss://`` or ``unix://`` URLs, or ``(host, port)``
        pairs. Default ``["redis://127.0.0.1:6379"]``. Several hosts shard the layer.
    ``prefix``
        Prepended to every key (default ``"asgi:"``); layers with different prefixes are
        independent.
    ``symmetric_encryption_keys``
        Secrets to encrypt message bodies with (needs ``cryptography``); the first encrypts,
        all decrypt, so rotate by putting a new key first.
    ``sentinels``, ``services``, ``sentinel_kwargs``
        Use Redis Sentinel instead of ``hosts``: ``sentinels`` are ``(host, port)`` pairs,
        each name in ``services`` is a monitored master and one shard.
    ``connection_kwargs``
        Passed to every redis-py connection (``password``, ``ssl_*``, ``socket_timeout``...).
    ``cluster``
        True for a Redis Cluster (``hosts`` are some of its nodes; the rest are discovered),
        False for independent servers; by default the first host is asked (``INFO``).
    """

    def __init__(
        self,
        hosts: Sequence[HostSpec] | str | None = None,
        prefix: str = "asgi:",
        *,
        symmetric_encryption_keys: Sequence[str | bytes] | None = None,
        sentinels: Sequence[tuple[str, int]] | None = None,
        services: Sequence[str] | None = None,
        sentinel_kwargs: dict[str, Any] | None = None,
        connection_kwargs: dict[str, Any] | None = None,
        cluster: bool | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be a str, got {prefix!r}")
        self.prefix = prefix
        self._topology = Topology(
            hosts,
            sentinels=sentinels,
            services=services,
            sentinel_kwargs=sentinel_kwargs,
            connection_kwargs={**(connection_kwargs or {}), "decode_responses": False},
            cluster=cluster,
        )
        self._encryptor = (
            envelope.Encryptor(symmetric_encryption_keys) if symmetric_encryption_keys else None
        )
        self._ttl = math.ceil(self.expiry) + 1
        # Messages popped but not yet returned, and pops that outlived their receive.
        self._popped = PoppedMessages(self.prefix, self._decoded, self.count)
        self._orphans = OrphanedPops(self._popped)
        self._outages = Outages()
        # Sync receives that block on several shards at once use the async implementation.
        self._portal = LoopThread("channels-redis-receive")

    def watch_outages(self, watcher: OutageWatcher) -> None:
        self._outages.watch(watcher)

    def unwatch_outages(self, watcher: OutageWatcher) -> None:
        self._outages.unwatch(watcher)

    @property
    def shards(self) -> list[LayerShard]:
        """The servers (or the one cluster) this layer talks to."""
        return self._topology.shards

    @property
    def cluster(self) -> ClusterShard | None:
        """The cluster this layer runs on, or None (one server, shards or Sentinel)."""
        return self._topology.cluster

    # -- shared pure parts ------------------------------------------------------------------

    def _shard(self, name: str) -> LayerShard:
        return self.shards[shard_index(name, len(self.shards))]

    def _group_key(self, group: str) -> str:
        # Channel names cannot contain ':', so this never collides with a queue key.
        return f"{self.prefix}group:{group}"

    def _body(self, data: bytes) -> bytes:
        return self._encryptor.encrypt(data) if self._encryptor else data

    def _send_call(self, channel: str, message: Message) -> tuple[LayerShard, str, list[Any]]:
        body = self._body(self.encode(channel, message))
        queue = queue_name(channel)
        now = time.time()
        element = envelope.pack(now + self.expiry, channel, body)
        return self._shard(queue), queue, [element, self.capacities.of(queue), now, self._ttl]

    def _send_many_calls(self, items: Sequence[tuple[str, Message]]) -> list[SendManyCall]:
        """The ``send_many`` script calls of a batch: one per shard (per hash slot on a
        cluster), each with its keys and arguments and the indexes of the items it
        carries, in order. Every item is validated before anything is sent."""
        now, cluster = time.time(), self.cluster
        calls: dict[int, SendManyCall] = {}
        for index, (channel, message) in enumerate(items):
            body = self._body(self.encode(channel, message))
            queue = queue_name(channel)
            key = self.prefix + queue
            where = key_slot(key) if cluster is not None else shard_index(queue, len(self.shards))
            _, keys, args, indexes = calls.setdefault(where, (where, [], [now, self._ttl], []))
            keys.append(key)
            args += [envelope.pack(now + self.expiry, channel, body), self.capacities.of(queue)]
            indexes.append(index)
        return list(calls.values())

    def _sent_many(
        self, items: Sequence[tuple[str, Message]], calls: list[SendManyCall], replies: list[Any]
    ) -> list[SendResult]:
        results: list[SendResult] = [None] * len(items)
        for (_, _, _, indexes), reply in zip(calls, replies, strict=True):
            for index, pushed in zip(indexes, reply, strict=True):
                if pushed:
                    self.count("messages_sent")
                else:
                    channel = items[index][0]
                    results[index] = self.channel_full(
                        channel, self.capacities.of(queue_name(channel))
                    )
        return results

    def _sent(self, pushed: int, channel: str, queue: str) -> None:
        if not pushed:
            raise self.channel_full(channel, self.capacities.of(queue))
        self.count("messages_sent")

    def _group_send_args(self, group: str, message: Message) -> list[Any]:
        body = self._body(self.encode_group_send(group, message))
        now = time.time()
        header = envelope.expiry_header(now + self.expiry)
        return [self.prefix, header, body, now, now - self.group_expiry, self._ttl]

    def _group_sent(self, group: str, results: Iterable[list[Any]]) -> None:
        sent, skipped = 0, list[str]()
        for result in results:
            sent += int(result[0])
            skipped.extend(name.decode("ascii") for name in result[1:])
        self.count("group_messages_sent", sent)
        self.report_group_skips(group, skipped)

    def _membership(self, channel: str) -> tuple[LayerShard, str]:
        queue = queue_name(check_channel_name(channel))
        return self._shard(queue), f"{time.time()} {self.capacities.of(queue)}"

    def _live_members(self, group: str, replies: Iterable[dict[bytes, bytes]]) -> list[str]:
        cutoff = time.time() - self.group_expiry
        return [
            channel.decode("ascii")
            for reply in replies
            for channel, value in reply.items()
            if float(value.split(b" ")[0]) > cutoff
        ]

    def _by_shard(self, queues: list[str]) -> list[tuple[LayerShard, list[str]]]:
        cluster = self.cluster
        if cluster is not None:
            # A multi-key pop must stay in one hash slot.
            return [(cluster, keys) for keys in by_slot([self.prefix + q for q in queues])]
        keys: dict[int, list[str]] = {}
        for queue in queues:
            keys.setdefault(shard_index(queue, len(self.shards)), []).append(self.prefix + queue)
        return [(self.shards[index], shard_keys) for index, shard_keys in keys.items()]

    @contextlib.contextmanager
    def _reaching(self, shard: LayerShard) -> Iterator[None]:
        try:
            yield
        except redis.exceptions.MovedError as exc:
            raise self._topology.moved(shard, exc) from exc
        except redis.exceptions.AuthenticationError as exc:
            raise ChannelLayerAuthenticationError(
                refused_credentials(shard.description, exc)
            ) from exc
        except UNREACHABLE as exc:
            raise ChannelLayerUnavailable(
                f"cannot reach Redis ({shard.description}): {exc}; check that it is running "
                "and that the layer's hosts point at it"
            ) from exc

    # -- decoding what was popped ------------------------------------------------------------

    def _decoded(self, channel: str, body: bytes) -> Received | None:
        if self.unwanted_note(channel):
            return None
        try:
            message = decode_message(self._encryptor.decrypt(body) if self._encryptor else body)
        except Exception:
            logger.exception("dropped a message on %r that could not be decoded", channel)
            return None
        self.count("messages_received")
        return channel, message

    # -- channels ---------------------------------------------------------------------------

    def send(self, channel: str, message: Message) -> None:
        self.send_retractable(channel, message)

    async def asend(self, channel: str, message: Message) -> None:
        await self.asend_retractable(channel, message)

    def send_many(self, items: Sequence[tuple[str, Message]]) -> list[SendResult]:
        if len(items) <= 1:  # the single send's script is the cheaper one
            return super().send_many(items)
        calls = self._send_many_calls(items)
        cluster = self.cluster
        if cluster is not None:
            with self._reaching(cluster):
                scripts = [("send_many", keys, args) for _, keys, args, _ in calls]
                return self._sent_many(items, calls, _raised(cluster.run_many(scripts)))
        replies = []
        for where, keys, args, _ in calls:
            shard = self.shards[where]
            with self._reaching(shard):
                replies.append(shard.run("send_many", keys, args))
        return self._sent_many(items, calls, replies)

    async def asend_many(self, items: Sequence[tuple[str, Message]]) -> list[SendResult]:
        if len(items) <= 1:
            return await super().asend_many(items)
        calls = self._send_many_calls(items)
        cluster = self.cluster
        if cluster is not None:
            with self._reaching(cluster):
                scripts = [("send_many", keys, args) for _, keys, args, _ in calls]
                replies = _raised(await cluster.arun_many(scripts))
            return self._sent_many(items, calls, replies)

        async def one(where: int, keys: list[str], args: list[Any]) -> Any:
            shard = self.shards[where]
            with self._reaching(shard):
                return await shard.arun("send_many", keys, args)

        replies = await asyncio.gather(*(one(*call[:3]) for call in calls))
        return self._sent_many(items, calls, list(replies))

    # -- groups -----------------------------------------------------------------------------

    def group_add(self, group: str, channel: str) -> None:
        key = self._group_key(check_group_name(group))
        shard, value = self._membership(channel)
        with self._reaching(shard):
            pipe = shard.client.pipeline(transaction=False)
            pipe.hset(key, channel, value).expire(key, math.ceil(self.group_expiry)).execute()
        self.tell_owner(ADD, group, channel)

    async def agroup_add(self, group: str, channel: str) -> None:
        key = self._group_key(check_group_name(group))
        shard, value = self._membership(channel)
        with self._reaching(shard):
            pipe = shard.for_loop().plain.pipeline(transaction=False)
            await pipe.hset(key, channel, value).expire(key, math.ceil(self.group_expiry)).execute()
        await self.atell_owner(ADD, group, channel)

    def group_discard(self, group: str, channel: str) -> None:
        key = self._group_key(check_group_name(group))
        shard, _ = self._membership(channel)
        with self._reaching(shard):
            shard.client.hdel(key, channel)
        self.tell_owner(DISCARD, group, channel)

    async def agroup_discard(self, group: str, channel: str) -> None:
        key = self._group_key(check_group_name(group))
        shard, _ = self._membership(channel)
        with self._reaching(shard):
            await shard.for_loop().plain.hdel(key, channel)
        await self.atell_owner(DISCARD, group, channel)

    def send_group(self, group: str, message: Message) -> None:
        args, key, results = self._group_send_args(group, message), self._group_key(group), []
        cluster = self.cluster
        if cluster is not None:
            with self._reaching(cluster):
                results.append(cluster_groups.send_group(cluster, key, args))
            self._group_sent(group, results)
            return
        for shard in self.shards:
            with self._reaching(shard):
                results.append(shard.run("group_send", [key], args))
        self._group_sent(group, results)

    async def asend_group(self, group: str, message: Message) -> None:
        args, key = self._group_send_args(group, message), self._group_key(group)
        cluster = self.cluster
        if cluster is not None:
            with self._reaching(cluster):
                result = await cluster_groups.asend_group(cluster, key, args)
            self._group_sent(group, [result])
            return

        async def one(shard: LayerShard) -> list[Any]:
            with self._reaching(shard):
                result: list[Any] = await shard.arun("group_send", [key], args)
            return result

        self._group_sent(group, await asyncio.gather(*(one(shard) for shard in self.shards)))

    def group_channels(self, group: str) -> list[str]:
        key = self._group_key(check_group_name(group))
        replies = []
        for shard in self.shards:
            with self._reaching(shard):
                replies.append(shard.client.hgetall(key))
        return self._live_members(group, replies)

    async def agroup_channels(self, group: str) -> list[str]:
        key = self._group_key(check_group_name(group))
        replies = []
        for shard in self.shards:
            with self._reaching(shard):
                replies.append(await shard.for_loop().plain.hgetall(key))
        return self._live_members(group, replies)

    # -- the rest ---------------------------------------------------------------------------

    def close(self) -> None:
        self._portal.close(self._close_loop_clients, timeout=POP_SLICE + 1)
        for shard in self._topology.made:
            shard.close()

    async def _close_loop_clients(self) -> None:
        """Stop the running loop's pops and close its async clients. A pop cancelled here
        may lose the one message it was taking: call this only when shutting down."""
        tasks = self._orphans.release_loop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for shard in self._topology.made:
            await shard.aclose_loop_clients()

    async def aclose(self) -> None:
        await self._close_loop_clients()
        self.close()

    def __repr__(self) -> str:
        hosts = self._topology.describe()
        return f"<RedisChannelLayer prefix={self.prefix!r} hosts=[{hosts}]>"


#: The seeds' ``asgi_redis.RedisChannelLayer`` name for this class.
ChannelLayer = RedisChannelLayer
