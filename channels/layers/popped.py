"""The Redis layer's receive machinery: where popped messages go, and blocking pops that
outlive the receive that started them.

A pop can take more than its receive returns: a group copy stored once for several members
of one process prefix, a bulk pop of a process-specific queue, or a pop that finished after
its receive was cancelled or had its answer. None of that may be lost or reordered, so:

* :class:`PoppedMessages` hands a pop's first live message to the receive that popped it
  and keeps the rest, in order, for the next receive (per queue, with their expiry);
* :class:`OrphanedPops` keeps a blocking pop left running by a receive that ended, per
  event loop and keys, so the next receive on the same keys adopts it instead of opening
  another connection, and whatever it pops unadopted is deposited, not dropped.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from . import envelope
from .base import Received
from .cluster import LayerShard
from .shards import redis

#: What a blocking pop returns: the queue's key and the elements taken, or None on timeout.
Popped = tuple[bytes, list[bytes]] | None
#: A blocking pop's command, and whether its reply lists several elements.
PopCommand = tuple[tuple[Any, ...], bool]
PopKey = tuple[Any, ...]
T = TypeVar("T")

#: Most elements one pop takes from a process-specific queue.
BULK_POP = 64


def shuffled(keys: list[T]) -> list[T]:
    """``keys`` (or groups of them) in random order: Redis serves the first non-empty key it
    is given, so a fixed order would starve the later channels."""
    return keys if len(keys) == 1 else random.sample(keys, len(keys))


class PoppedMessages:
    """Popped elements on their way to receives (thread-safe).

    ``decode(channel, body)`` turns a body into ``(channel, message)`` (None if it cannot be
    decoded); ``count(name, n, queue=...)`` counts expiries per queue.
    """

    def __init__(
        self,
        prefix: str,
        decode: Callable[[str, bytes], Received | None],
        count: Callable[..., None],
    ) -> None:
        self.prefix = prefix
        self.decode = decode
        self.count = count
        self._buffer: dict[str, deque[tuple[str, float, bytes]]] = {}
        self._lock = threading.Lock()

    def accept(self, key: bytes, element: bytes) -> Received | None:
        """A popped element for the receive that popped it: the message of its first channel;
        the other members of a group copy wait in the buffer. None if it expired."""
        first = self._buffer_element(key, element, skip=1)
        return self.decode(*first[0]) if first else None

    def accept_many(
        self, popped: list[tuple[bytes, bytes]], max_count: int
    ) -> list[tuple[str, Any]]:
        """Popped ``(key, element)`` pairs, in order, for the batch receive that popped
        them: up to ``max_count`` live messages; the channels past that (members of a group
        copy, or a bulk pop of a process-specific queue) wait in the buffer, in order."""
        taken: list[tuple[str, Any]] = []
        for key, element in popped:
            for channel, body in self._buffer_element(key, element, max_count - len(taken)):
                received = self.decode(channel, body)
                if received is not None:
                    taken.append(received)  # type: ignore[arg-type]
        return taken

    def accept_popped_many(self, popped: Popped, max_count: int) -> list[tuple[str, Any]]:
        """:meth:`accept_many` for what a blocking pop returned."""
        if popped is None:
            return []
        key, elements = popped
        return self.accept_many([(key, element) for element in elements], max_count)

    def accept_pop_many(self, reply: list[Any], max_count: int) -> list[tuple[str, Any]]:
        """:meth:`accept_many` for what the ``pop_many`` script returned:
        [[key, element, ...], [key, expired count, ...]]."""
        taken, expired = reply
        for key, count in zip(expired[::2], expired[1::2], strict=True):
            queue = key.decode("ascii")[len(self.prefix) :]
            self.count("messages_expired", int(count), queue=queue)
        return self.accept_many(list(zip(taken[::2], taken[1::2], strict=True)), max_count)

    def accept_popped(self, popped: Popped) -> Received | None:
        """The first live message of a blocking pop's elements for its receive; the rest,
        in order, wait in the buffer (per-channel order is kept)."""
        if popped is None:
            return None
        key, elements = popped
        for index, element in enumerate(elements):
            found = self.accept(key, element)
            if found is not None:
                for later in elements[index + 1 :]:
                    self.deposit(key, later)
                return found
        return None

    def deposit(self, key: bytes, element: bytes) -> None:
        """Keep a popped element whose receive is gone, for the next receive."""
        self._buffer_element(key, element, skip=0)

    def deposit_pop_many(self, task: asyncio.Future[Any]) -> None:
        """Done-callback of a ``pop_many`` script call whose receive was cancelled."""
        if not task.cancelled() and task.exception() is None:
            self.accept_pop_many(task.result(), 0)

    def deposit_popped(self, task: asyncio.Future[Any]) -> None:
        """Done-callback of a blocking pop that no receive will read."""
        if not task.cancelled() and task.exception() is None and task.result() is not None:
            key, elements = task.result()
            for element in elements:
                self.deposit(key, element)

    def take(self, queues: list[str]) -> Received | None:
        """The next buffered message for one of ``queues``, if any."""
        while self._buffer:
            with self._lock:
                found = self._take_locked(queues)
            if found is None:
                return None
            received = self.decode(*found)
            if received is not None:
                return received
        return None

    def take_many(self, queues: list[str], max_count: int) -> list[tuple[str, Any]]:
        """Up to ``max_count`` buffered messages for ``queues``."""
        taken: list[tuple[str, Any]] = []
        while self._buffer and len(taken) < max_count:
            found = self.take(queues)
            if found is None:
                break
            taken.append(found)  # type: ignore[arg-type]
        return taken

    def clear(self) -> None:
        """Forget everything buffered (the layer was flushed)."""
        with self._lock:
            self._buffer.clear()

    def _buffer_element(self, key: bytes, element: bytes, skip: int) -> list[tuple[str, bytes]]:
        """Buffer the element's channels after the first ``skip``; return the skipped ones'
        (channel, body). Nothing if the element has expired."""
        queue = key.decode("ascii")[len(self.prefix) :]
        expires_at, names, body = envelope.unpack(queue, element)
        if expires_at <= time.time():
            self.count("messages_expired", len(names), queue=queue)
            return []
        skip = max(skip, 0)
        if len(names) > skip:
            with self._lock:
                self._buffer.setdefault(queue, deque()).extend(
                    (name, expires_at, body) for name in names[skip:]
                )
        return [(name, body) for name in names[:skip]]

    def _take_locked(self, queues: list[str]) -> tuple[str, bytes] | None:
        now = time.time()
        for queue in shuffled(queues):
            pending = self._buffer.get(queue)
            while pending:
                channel, expires_at, body = pending.popleft()
                if not pending:
                    del self._buffer[queue]
                if expires_at > now:
                    return channel, body
                self.count("messages_expired", 1, queue=queue)
        return None


class OrphanedPops:
    """Blocking pops left running by receives that ended, per event loop and keys."""

    def __init__(self, popped: PoppedMessages) -> None:
        self.popped = popped
        self._by_loop: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[PopKey, asyncio.Task[Any]]
        ] = weakref.WeakKeyDictionary()

    def adopt_or_start(
        self, ident: PopKey, start: Callable[[], Coroutine[Any, Any, Popped]]
    ) -> asyncio.Task[Any]:
        """A blocking pop for one receive: the orphan on the same keys if there is one, so
        cancelled receives never pile up connections; else a new task running ``start()``."""
        loop = asyncio.get_running_loop()
        task = self._by_loop.setdefault(loop, {}).pop(ident, None)
        # A done orphan is adopted too: its "deposit unless adopted" callback may not have
        # run yet, and this receive now owns whatever it popped.
        return task if task is not None else loop.create_task(start())

    def has(self, ident: PopKey) -> bool:
        """True when a pop on these keys is left running on this loop, to adopt."""
        return ident in self._by_loop.get(asyncio.get_running_loop(), {})

    def orphan(self, ident: PopKey, task: asyncio.Task[Any]) -> None:
        """Keep a receive's unfinished pop for adoption; what it pops unadopted is deposited."""
        if task.done():
            self.popped.deposit_popped(task)
            return
        orphans = self._by_loop.setdefault(asyncio.get_running_loop(), {})
        previous = orphans.get(ident)
        if previous is not None and previous is not task:
            # Two receives on the same keys ended at once: keep the first for adoption,
            # the second deposits whatever it pops.
            task.add_done_callback(self.popped.deposit_popped)
            return
        orphans[ident] = task

        def unless_adopted(done: asyncio.Task[Any]) -> None:
            if orphans.get(ident) is done:
                del orphans[ident]
                self.popped.deposit_popped(done)

        task.add_done_callback(unless_adopted)

    def release_loop(self) -> list[asyncio.Task[Any]]:
        """Forget the running loop's orphans and return them (to cancel at shutdown)."""
        return list(self._by_loop.pop(asyncio.get_running_loop(), {}).values())


def pop_command(shard: LayerShard, keys: list[str], timeout: float, count: int) -> PopCommand:
    """The blocking pop of up to ``count`` elements of ``keys`` on ``shard``: the command,
    and whether it answers with a list of elements (BLMPOP) or one (BLPOP).

    Process-specific queues have one reader, this process, so everything waiting there (up
    to :data:`BULK_POP`) is taken in one round trip: an interface server under load gets
    many replies per pop. Other queues give ``count`` at most, what the caller can run now,
    so that no receiver takes what another could run. BLMPOP waits for the first element,
    then takes only those already there (Redis 7+; before, one element a pop).
    """
    if all(key.endswith("!") for key in keys):
        count = max(count, BULK_POP)
    if shard.bulk_pops and count > 1:
        return ("BLMPOP", timeout, len(keys), *shuffled(keys), "LEFT", "COUNT", count), True
    return ("BLPOP", *shuffled(keys), timeout), False


def popped_reply(reply: Any, bulk: bool) -> Popped:
    """A pop's reply as ``(key, elements)``, or None on timeout."""
    if reply is None:
        return None
    return (reply[0], reply[1]) if bulk else (reply[0], [reply[1]])


def refused_bulk(shard: LayerShard, bulk: bool, exc: Exception) -> bool:
    """True when ``exc`` says the server has no BLMPOP (Redis before 7): the shard pops one
    element at a time from now on, and the caller pops again."""
    if bulk and "unknown command" in str(exc).lower():
        shard.bulk_pops = False
        return True
    return False


async def blocking_pop(
    shard: LayerShard, keys: list[str], timeout: float, count: int = 1
) -> Popped:
    """One blocking pop of up to ``count`` elements of ``keys`` on ``shard`` (see
    :func:`pop_command`): ``(key, elements)``, or None on timeout. Connection errors
    propagate."""
    command, bulk = pop_command(shard, keys, timeout, count)
    try:
        reply = await shard.for_loop().blocking.execute_command(*command)
    except redis.exceptions.ResponseError as exc:
        if refused_bulk(shard, bulk, exc):
            return await blocking_pop(shard, keys, timeout, count)
        raise
    return popped_reply(reply, bulk)


def sync_blocking_pop(shard: LayerShard, keys: list[str], timeout: float, count: int) -> Popped:
    """:func:`blocking_pop` on the shard's sync client."""
    command, bulk = pop_command(shard, keys, timeout, count)
    try:
        reply = shard.blocking_client.execute_command(*command)
    except redis.exceptions.ResponseError as exc:
        if refused_bulk(shard, bulk, exc):
            return sync_blocking_pop(shard, keys, timeout, count)
        raise
    return popped_reply(reply, bulk)


__all__ = [
    "BULK_POP",
    "OrphanedPops",
    "Popped",
    "PoppedMessages",
    "blocking_pop",
    "pop_command",
    "popped_reply",
    "refused_bulk",
    "shuffled",
    "sync_blocking_pop",
]
