"""The Redis channel layer: any number of processes and machines over one or more Redis servers.

Where the round trips go (the 2016 design spent about ten per HTTP request, polled, and
stored one copy per group member):

* ``send``: one server-side script checks capacity (dropping expired heads only when full),
  pushes and renews the key's expiry. The message is stored inline, in the list.
* ``receive``: a blocking pop on the server (``BLPOP``), on a connection kept for blocking
  pops; no polling and no sleeps. Every channel under a process-specific prefix lives in one
  list, so an interface server needs one pop for all its connections.
* ``send_group``: one script per shard. Membership is stored on the shard of each member's
  queue, and members that share a process-specific prefix get one stored copy naming all of
  them, which the receiving layer hands out one per member.
* statistics come from list lengths and the expiry stamped in each message.

Several ``hosts`` shard the layer by a consistent (jump) hash of the queue name
(process-specific channels by their prefix), so adding a host moves only its share of names.
A blocking receive over queues on several shards pops on all of them at once; a message
that arrives while another one is being returned is kept in this process and returned by
the next receive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ..exceptions import ChannelLayerUnavailable
from . import envelope
from .base import BaseChannelLayer, Message, Received
from .codec import decode_message
from .names import check_channel_name, check_group_name, check_receive_names, queue_name
from .redis_registry import RedisRegistry
from .shards import POP_SLICE, HostSpec, Shard, redis, shard_index

logger = logging.getLogger("channels.layers.redis")

_UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def _pop_timeout(deadline: float) -> float:
    # Redis reads a timeout that rounds to 0 ms as "block forever": never send one.
    return max(0.01, round(min(deadline - time.monotonic(), POP_SLICE), 3))


#: Most elements one pop takes from a process-specific queue.
BULK_POP = 64


def _shuffled(keys: list[str]) -> list[str]:
    # Redis serves the first non-empty key it is given: shuffle so no channel starves.
    return keys if len(keys) == 1 else random.sample(keys, len(keys))


def _backoff(failures: int) -> float:
    return float(min(0.1 * 2 ** (failures - 1), 2.0))


class RedisChannelLayer(RedisRegistry, BaseChannelLayer):
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
        **options: Any,
    ) -> None:
        super().__init__(**options)
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be a str, got {prefix!r}")
        self.prefix = prefix
        connection_kwargs = {**(connection_kwargs or {}), "decode_responses": False}
        if sentinels:
            if hosts:
                raise ValueError("give either hosts or sentinels (with services), not both")
            if not services or isinstance(services, str):
                raise ValueError(
                    f"sentinels need services, a list of monitored master names; got {services!r}"
                )
            self.shards = [
                Shard(
                    sentinels=sentinels,
                    service=service,
                    sentinel_kwargs=sentinel_kwargs,
                    connection_kwargs=connection_kwargs,
                )
                for service in services
            ]
        else:
            if isinstance(hosts, str):
                hosts = [hosts]
            self.shards = [
                Shard(host, connection_kwargs=connection_kwargs)
                for host in (hosts or ["redis://127.0.0.1:6379"])
            ]
        self._encryptor = (
            envelope.Encryptor(symmetric_encryption_keys) if symmetric_encryption_keys else None
        )
        self._ttl = math.ceil(self.expiry) + 1
        # Messages popped but not yet returned: the rest of a group copy for several members
        # of one prefix, or pops that finished after their receive had its answer.
        self._buffer: dict[str, deque[tuple[str, float, bytes]]] = {}
        self._buffer_lock = threading.Lock()
        # Per event loop: blocking pops left running by receives that ended, by their keys.
        self._inflight: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[tuple[Any, ...], asyncio.Task[Any]]
        ] = weakref.WeakKeyDictionary()
        self._outages: dict[int, int] = {}
        self._portal: tuple[asyncio.AbstractEventLoop, threading.Thread] | None = None
        self._portal_lock = threading.Lock()

    # -- shared pure parts ------------------------------------------------------------------

    def _shard(self, name: str) -> Shard:
        return self.shards[shard_index(name, len(self.shards))]

    def _group_key(self, group: str) -> str:
        # Channel names cannot contain ':', so this never collides with a queue key.
        return f"{self.prefix}group:{group}"

    def _body(self, data: bytes) -> bytes:
        return self._encryptor.encrypt(data) if self._encryptor else data

    def _send_call(self, channel: str, message: Message) -> tuple[Shard, str, list[Any]]:
        body = self._body(self.encode(channel, message))
        queue = queue_name(channel)
        now = time.time()
        element = envelope.pack(now + self.expiry, channel, body)
        return self._shard(queue), queue, [element, self.capacities.of(queue), now, self._ttl]

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

    def _membership(self, channel: str) -> tuple[Shard, str]:
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

    def _by_shard(self, queues: list[str]) -> list[tuple[Shard, list[str]]]:
        keys: dict[int, list[str]] = {}
        for queue in queues:
            keys.setdefault(shard_index(queue, len(self.shards)), []).append(self.prefix + queue)
        return [(self.shards[index], shard_keys) for index, shard_keys in keys.items()]

    @contextlib.contextmanager
    def _reaching(self, shard: Shard) -> Iterator[None]:
        try:
            yield
        except _UNREACHABLE as exc:
            raise ChannelLayerUnavailable(
                f"cannot reach Redis ({shard.description}): {exc}; check that it is running "
                "and that the layer's hosts point at it"
            ) from exc

    def _outage(self, shard: Shard, exc: Exception) -> float:
        """Note a failed blocking pop; returns how long to wait before the next try."""
        failures = self._outages[id(shard)] = self._outages.get(id(shard), 0) + 1
        if failures == 1:
            logger.warning(
                "Redis (%s) unreachable, retrying with backoff: %s", shard.description, exc
            )
        return _backoff(failures)

    def _recovered(self, shard: Shard) -> None:
        if self._outages.pop(id(shard), 0):
            logger.warning("Redis (%s) reachable again", shard.description)

    # -- popped messages: to the receive that popped them, the rest to a local buffer -------

    def _decoded(self, channel: str, body: bytes) -> Received | None:
        try:
            message = decode_message(self._encryptor.decrypt(body) if self._encryptor else body)
        except Exception:
            logger.exception("dropped a message on %r that could not be decoded", channel)
            return None
        self.count("messages_received")
        return channel, message

    def _accept(self, key: bytes, element: bytes) -> Received | None:
        """A popped element for the receive that popped it: the message of its first channel;
        the other members of a group copy wait in the buffer. None if it expired."""
        first = self._buffer_element(key, element, skip=1)
        return None if first is None else self._decoded(*first)

    def _accept_pop(self, reply: list[Any] | None) -> Received | None:
        """:meth:`_accept` for what the ``pop`` script returned: [key, element, expired]."""
        if not reply:
            return None
        for key, expired in zip(reply[3::2], reply[4::2], strict=True):
            self.count("messages_expired", int(expired), queue=key.decode()[len(self.prefix) :])
        return None if reply[0] is None else self._accept(reply[0], reply[1])

    def _deposit(self, key: bytes, element: bytes) -> None:
        """Keep a popped element whose receive is gone, for the next receive."""
        self._buffer_element(key, element, skip=0)

    def _buffer_element(self, key: bytes, element: bytes, skip: int) -> tuple[str, bytes] | None:
        """Buffer the element's channels after the first ``skip``; return the first one's
        (channel, body) when skipped. None if the element has expired."""
        queue = key.decode("ascii")[len(self.prefix) :]
        expires_at, names, body = envelope.unpack(queue, element)
        if expires_at <= time.time():
            self.count("messages_expired", len(names), queue=queue)
            return None
        if len(names) > skip:
            with self._buffer_lock:
                self._buffer.setdefault(queue, deque()).extend(
                    (name, expires_at, body) for name in names[skip:]
                )
        return (names[0], body) if skip else None

    def _take(self, queues: list[str]) -> Received | None:
        """The next buffered message for one of ``queues``, if any."""
        while self._buffer:
            with self._buffer_lock:
                found = self._take_locked(queues)
            if found is None:
                return None
            received = self._decoded(*found)
            if received is not None:
                return received
        return None

    def _take_locked(self, queues: list[str]) -> tuple[str, bytes] | None:
        now = time.time()
        for queue in _shuffled(queues):
            pending = self._buffer.get(queue)
            while pending:
                channel, expires_at, body = pending.popleft()
                if not pending:
                    del self._buffer[queue]
                if expires_at > now:
                    return channel, body
                self.count("messages_expired", queue=queue)
        return None

    # -- channels ---------------------------------------------------------------------------

    def send(self, channel: str, message: Message) -> None:
        shard, queue, args = self._send_call(channel, message)
        with self._reaching(shard):
            pushed = shard.run("send", [self.prefix + queue], args)
        self._sent(pushed, channel, queue)

    async def asend(self, channel: str, message: Message) -> None:
        shard, queue, args = self._send_call(channel, message)
        with self._reaching(shard):
            pushed = await shard.arun("send", [self.prefix + queue], args)
        self._sent(pushed, channel, queue)

    def receive(
        self, channels: Iterable[str], block: bool = False, timeout: float | None = None
    ) -> Received:
        queues = check_receive_names(channels)
        found = self._take(queues)
        if found is not None:
            return found
        by_shard = self._by_shard(queues)
        if not block:
            for shard, keys in by_shard:
                with self._reaching(shard):
                    reply = shard.run("pop", _shuffled(keys), [time.time()])
                found = self._accept_pop(reply)
                if found is not None:
                    return found
            return None, None
        if len(by_shard) > 1:
            received: Received = self._in_portal(self.areceive(queues, True, timeout))
            return received
        shard, keys = by_shard[0]
        deadline = time.monotonic() + (self.block_timeout if timeout is None else timeout)
        while time.monotonic() < deadline:
            try:
                reply = shard.blocking_client.blpop(_shuffled(keys), timeout=_pop_timeout(deadline))
            except _UNREACHABLE as exc:
                time.sleep(min(self._outage(shard, exc), max(0.0, deadline - time.monotonic())))
                continue
            self._recovered(shard)
            if reply is not None:
                found = self._accept(*reply)
                if found is not None:
                    return found
        return None, None

    async def areceive(
        self, channels: Iterable[str], block: bool = False, timeout: float | None = None
    ) -> Received:
        queues = check_receive_names(channels)
        found = self._take(queues)
        if found is not None:
            return found
        by_shard = self._by_shard(queues)
        if not block:
            for shard, keys in by_shard:
                found = self._accept_pop(await self._pop_now(shard, keys))
                if found is not None:
                    return found
            return None, None
        deadline = time.monotonic() + (self.block_timeout if timeout is None else timeout)
        pops: dict[tuple[Any, ...], asyncio.Task[Any]] = {}
        try:
            while time.monotonic() < deadline:
                for shard, keys in by_shard:
                    ident = (id(shard), *sorted(keys))
                    if ident not in pops:
                        pops[ident] = self._blocking_pop(ident, shard, keys, deadline)
                await asyncio.wait(pops.values(), return_when=asyncio.FIRST_COMPLETED)
                for ident, task in list(pops.items()):
                    if task.done():
                        del pops[ident]
                        found = self._accept_popped(task.result())
                        if found is not None:
                            return found
                found = self._take(queues)
                if found is not None:
                    return found
            return None, None
        finally:
            # Pops still running (or done but not read) when this receive returns or is
            # cancelled: what they pop is kept for the next receive, never lost.
            for ident, task in pops.items():
                self._orphan(ident, task)

    async def _pop_now(self, shard: Shard, keys: list[str]) -> list[Any] | None:
        """Run the non-blocking ``pop`` script; if this receive is cancelled meanwhile, what
        the script popped is kept in the buffer."""
        task = asyncio.ensure_future(shard.arun("pop", _shuffled(keys), [time.time()]))
        try:
            with self._reaching(shard):
                reply: list[Any] | None = await asyncio.shield(task)
            return reply
        except asyncio.CancelledError:
            task.add_done_callback(self._deposit_late_pop)
            raise

    def _deposit_late_pop(self, task: asyncio.Future[Any]) -> None:
        if not task.cancelled() and task.exception() is None and task.result():
            reply = task.result()
            if reply[0] is not None:
                self._deposit(reply[0], reply[1])

    def _blocking_pop(
        self, ident: tuple[Any, ...], shard: Shard, keys: list[str], deadline: float
    ) -> asyncio.Task[Any]:
        """A blocking pop on ``keys`` for one receive: adopts a pop on the same keys left
        running by an earlier receive, so cancelled receives never pile up connections."""
        loop = asyncio.get_running_loop()
        orphans = self._inflight.setdefault(loop, {})
        task = orphans.pop(ident, None)
        if task is None:
            task = loop.create_task(self._blpop(shard, keys, deadline))
        # A done orphan is adopted too: its "deposit unless adopted" callback may not have
        # run yet, and this receive now owns whatever it popped.
        return task

    def _orphan(self, ident: tuple[Any, ...], task: asyncio.Task[Any]) -> None:
        if task.done():
            self._deposit_blpop(task)
            return
        orphans = self._inflight.setdefault(asyncio.get_running_loop(), {})
        previous = orphans.get(ident)
        if previous is not None and previous is not task:
            # Two receives on the same keys ended at once: keep the first for adoption,
            # the second deposits whatever it pops.
            task.add_done_callback(self._deposit_blpop)
            return
        orphans[ident] = task

        def unless_adopted(done: asyncio.Task[Any]) -> None:
            if orphans.get(ident) is done:
                del orphans[ident]
                self._deposit_blpop(done)

        task.add_done_callback(unless_adopted)

    def _accept_popped(self, popped: tuple[bytes, list[bytes]] | None) -> Received | None:
        """The first live message of a blocking pop's elements for its receive; the rest,
        in order, wait in the buffer (per-channel order is kept)."""
        if popped is None:
            return None
        key, elements = popped
        for index, element in enumerate(elements):
            found = self._accept(key, element)
            if found is not None:
                for later in elements[index + 1 :]:
                    self._deposit(key, later)
                return found
        return None

    def _deposit_blpop(self, task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is None and task.result() is not None:
            key, elements = task.result()
            for element in elements:
                self._deposit(key, element)

    async def _blpop(
        self, shard: Shard, keys: list[str], deadline: float
    ) -> tuple[bytes, list[bytes]] | None:
        """One blocking pop: ``(key, elements)``, or None on timeout (or after a backoff
        pause during an outage).

        Process-specific queues have one reader, this process, so everything waiting there
        is taken in one round trip (BLMPOP, Redis 7+): an interface server under load gets
        many replies per pop. Other queues give one element a pop, so that no worker takes
        what another could run.
        """
        client = shard.for_loop().blocking
        timeout = _pop_timeout(deadline)
        try:
            if shard.bulk_pops and all(key.endswith("!") for key in keys):
                try:
                    reply = await client.execute_command(
                        "BLMPOP",
                        timeout,
                        len(keys),
                        *_shuffled(keys),
                        "LEFT",
                        "COUNT",
                        BULK_POP,
                    )
                except redis.exceptions.ResponseError as exc:
                    if "unknown command" not in str(exc).lower():
                        raise
                    shard.bulk_pops = False  # Redis before 7: one element a pop
                    reply = None
                else:
                    self._recovered(shard)
                    return None if reply is None else (reply[0], reply[1])
            popped = await client.blpop(_shuffled(keys), timeout=timeout)
        except _UNREACHABLE as exc:
            pause = self._outage(shard, exc)
            await asyncio.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            return None
        self._recovered(shard)
        return None if popped is None else (popped[0], [popped[1]])

    def _in_portal(self, coroutine: Any) -> Any:
        """Run a coroutine on this layer's private event loop thread (sync receives that
        block on several shards at once use the async implementation)."""
        with self._portal_lock:
            if self._portal is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="channels-redis-receive", daemon=True
                )
                thread.start()
                self._portal = (loop, thread)
            loop = self._portal[0]
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result()

    # -- groups -----------------------------------------------------------------------------

    def group_add(self, group: str, channel: str) -> None:
        key = self._group_key(check_group_name(group))
        shard, value = self._membership(channel)
        with self._reaching(shard):
            pipe = shard.client.pipeline(transaction=False)
            pipe.hset(key, channel, value).expire(key, math.ceil(self.group_expiry)).execute()

    async def agroup_add(self, group: str, channel: str) -> None:
        key = self._group_key(check_group_name(group))
        shard, value = self._membership(channel)
        with self._reaching(shard):
            pipe = shard.for_loop().plain.pipeline(transaction=False)
            await pipe.hset(key, channel, value).expire(key, math.ceil(self.group_expiry)).execute()

    def group_discard(self, group: str, channel: str) -> None:
        key = self._group_key(check_group_name(group))
        shard, _ = self._membership(channel)
        with self._reaching(shard):
            shard.client.hdel(key, channel)

    async def agroup_discard(self, group: str, channel: str) -> None:
        key = self._group_key(check_group_name(group))
        shard, _ = self._membership(channel)
        with self._reaching(shard):
            await shard.for_loop().plain.hdel(key, channel)

    def send_group(self, group: str, message: Message) -> None:
        args, key, results = self._group_send_args(group, message), self._group_key(group), []
        for shard in self.shards:
            with self._reaching(shard):
                results.append(shard.run("group_send", [key], args))
        self._group_sent(group, results)

    async def asend_group(self, group: str, message: Message) -> None:
        args, key = self._group_send_args(group, message), self._group_key(group)

        async def one(shard: Shard) -> list[Any]:
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

    def _match(self) -> str:
        # The prefix is literal: escape glob characters for SCAN MATCH.
        return "".join("\\" + c if c in "*?[]\\" else c for c in self.prefix) + "*"

    def flush(self) -> None:
        with self._buffer_lock:
            self._buffer.clear()
        for shard in self.shards:
            with self._reaching(shard):
                batch = []
                for key in shard.client.scan_iter(match=self._match(), count=1000):
                    batch.append(key)
                    if len(batch) >= 500:
                        shard.client.unlink(*batch)
                        batch.clear()
                if batch:
                    shard.client.unlink(*batch)

    async def aflush(self) -> None:
        with self._buffer_lock:
            self._buffer.clear()
        for shard in self.shards:
            client = shard.for_loop().plain
            with self._reaching(shard):
                keys = [key async for key in client.scan_iter(match=self._match(), count=1000)]
                for start in range(0, len(keys), 500):
                    await client.unlink(*keys[start : start + 500])

    def _statistics(self, queue: str, length: int, head: bytes | None) -> dict[str, Any]:
        oldest = None
        if head is not None:
            expires_at, _, _ = envelope.unpack(queue, head)
            oldest = max(0.0, time.time() - (expires_at - self.expiry))
        return {
            "messages_pending": length,
            "oldest_message_age": oldest,
            "capacity": self.capacities.of(queue),
        }

    def channel_statistics(self, channel: str) -> dict[str, Any]:
        queue = check_receive_names([queue_name(channel)])[0]
        shard = self._shard(queue)
        with self._reaching(shard):
            pipe = shard.client.pipeline(transaction=False)
            length, head = pipe.llen(self.prefix + queue).lindex(self.prefix + queue, 0).execute()
        return self._statistics(queue, length, head)

    async def achannel_statistics(self, channel: str) -> dict[str, Any]:
        queue = check_receive_names([queue_name(channel)])[0]
        shard = self._shard(queue)
        with self._reaching(shard):
            pipe = shard.for_loop().plain.pipeline(transaction=False)
            pipe.llen(self.prefix + queue).lindex(self.prefix + queue, 0)
            length, head = await pipe.execute()
        return self._statistics(queue, length, head)

    def close(self) -> None:
        with self._portal_lock:
            portal, self._portal = self._portal, None
        if portal is not None:
            loop, thread = portal
            closing = asyncio.run_coroutine_threadsafe(self._close_loop_clients(), loop)
            with contextlib.suppress(Exception):
                closing.result(timeout=POP_SLICE + 1)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=POP_SLICE + 1)
            loop.close()
        for shard in self.shards:
            shard.close()

    async def _close_loop_clients(self) -> None:
        """Stop the running loop's pops and close its async clients. A pop cancelled here
        may lose the one message it was taking: call this only when shutting down."""
        tasks = list(self._inflight.pop(asyncio.get_running_loop(), {}).values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for shard in self.shards:
            await shard.aclose_loop_clients()

    async def aclose(self) -> None:
        await self._close_loop_clients()
        self.close()

    def __repr__(self) -> str:
        hosts = ", ".join(shard.description for shard in self.shards)
        return f"<RedisChannelLayer prefix={self.prefix!r} hosts=[{hosts}]>"


#: The seeds' ``asgi_redis.RedisChannelLayer`` name for this class.
ChannelLayer = RedisChannelLayer
