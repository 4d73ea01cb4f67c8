"""How the Redis layer receives: one message (``receive``) or a batch (``receive_many``),
sync or async, through the same code.

* Buffered first: what an earlier pop took beyond what its receive returned (see
  :mod:`~channels.layers.popped`) goes out before anything newer of its queue.
* Without blocking: the ``pop_many`` script, one round trip per shard, takes up to the
  batch's size of unexpired messages, one from each queue in turn; each shard (cluster
  slot) its share of the batch.
* Blocking: a batch for several readers first takes what waits as above; then (and for a
  batch of one) ``BLMPOP ... COUNT n`` (Redis 7+) waits for the first message and takes,
  in the same round trip, up to ``n`` that are already waiting; a batch never waits for
  more. On
  one shard the async pop runs in the receiving coroutine
  (:mod:`~channels.layers.inline_pop`); over several, a task per shard, and what a pop
  takes after its receive returned is kept for the next one.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import functools
import time
from collections.abc import Iterator
from typing import Any

from ..concurrency import LoopThread
from .batch_receiving import BatchReceiving, Taken
from .cluster import CLUSTER_TRANSIENT, LayerShard
from .inline_pop import can_pop_inline, inline_pop
from .outages import Outages
from .popped import OrphanedPops, Popped, PoppedMessages, blocking_pop, shuffled, sync_blocking_pop
from .shards import POP_SLICE, redis
from .topology import Topology

#: What a server that cannot be reached (now) raises.
UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, *CLUSTER_TRANSIENT)


def _shared_batch(queues: list[str], max_count: int) -> bool:
    """Whether a blocking batch receive first takes what is waiting without blocking.

    A blocking pop (BLMPOP) takes its whole batch from one queue; the ``pop_many`` script
    takes one message from each queue in turn. So a batch for several readers (a worker's
    idle threads) is shared among the queues with a backlog, as single pops would share
    it: a burst on one channel cannot fill every thread while a channel its consumers
    send to fills up unread. Process-specific queues have one reader, which takes all.
    """
    return max_count > 1 and not all(queue.endswith("!") for queue in queues)


def _popped_count(replies: list[tuple[list[Any], int]]) -> int:
    """How many stored messages the ``pop_many`` replies so far hold."""
    return sum(len(reply[0]) // 2 for reply, _ in replies)


def _turns(
    by_shard: list[tuple[LayerShard, list[str]]],
    max_count: int,
    replies: list[tuple[list[Any], int]],
) -> Iterator[tuple[LayerShard, list[str], int]]:
    """Each shard (cluster slot) in random order, its keys shuffled (or the first would
    starve the rest), with its share of what ``replies`` so far left of a batch of
    ``max_count`` (see :func:`_shared_batch`); until the batch is full."""
    for index, (shard, keys) in enumerate(shuffled(by_shard)):
        left = max_count - _popped_count(replies)
        if left <= 0:
            return
        yield shard, shuffled(keys), -(-left // (len(by_shard) - index))


def pop_timeout(deadline: float) -> float:
    """The timeout of the next blocking pop before ``deadline``."""
    # Redis reads a timeout that rounds to 0 ms as "block forever": never send one.
    return max(0.01, round(min(deadline - time.monotonic(), POP_SLICE), 3))


class RedisReceiving(BatchReceiving):
    """``receive``, ``areceive``, ``receive_many`` and ``areceive_many`` of
    :class:`~channels.layers.redis.RedisChannelLayer` (which sets the attributes below)."""

    _popped: PoppedMessages
    _orphans: OrphanedPops
    _outages: Outages
    _portal: LoopThread
    _topology: Topology

    @abc.abstractmethod
    def _by_shard(self, queues: list[str]) -> list[tuple[LayerShard, list[str]]]:
        """The keys of ``queues`` grouped by the shard (or cluster slot) holding them."""

    @abc.abstractmethod
    def _reaching(self, shard: Any) -> contextlib.AbstractContextManager[None]:
        """Turn the store's connection errors inside the block into the layer's."""

    # -- sync -------------------------------------------------------------------------------

    def _receive(
        self, queues: list[str], max_count: int, block: bool, timeout: float | None
    ) -> Taken:
        taken = self._popped.take_many(queues, max_count)
        if taken:
            return taken
        by_shard = self._by_shard(queues)
        if not block or _shared_batch(queues, max_count):
            taken = self._pop_waiting(by_shard, max_count)
            if taken or not block:
                return taken
        if len(by_shard) > 1:
            several: Taken = self._portal.run(self._areceive(queues, max_count, True, timeout))
            return several
        shard, keys = by_shard[0]
        deadline = time.monotonic() + (self.block_timeout if timeout is None else timeout)
        while time.monotonic() < deadline:
            try:
                popped = sync_blocking_pop(shard, keys, pop_timeout(deadline), max_count)
            except redis.exceptions.MovedError as exc:
                raise self._topology.moved(shard, exc) from exc
            except UNREACHABLE as exc:
                pause = self._outages.failed(shard.description, tuple(keys), exc)
                time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
                continue
            self._outages.succeeded(shard.description, tuple(keys))
            taken = self._popped.accept_popped_many(popped, max_count)
            if taken:
                return taken
        return []

    # -- async ------------------------------------------------------------------------------

    async def _areceive(
        self, queues: list[str], max_count: int, block: bool, timeout: float | None
    ) -> Taken:
        # No await between taking messages and returning them, except in pops whose
        # cancellation keeps what they took (shielded scripts, orphaned pops).
        taken = self._popped.take_many(queues, max_count)
        if taken:
            return taken
        by_shard = self._by_shard(queues)
        if not block or _shared_batch(queues, max_count):
            taken = await self._apop_waiting(by_shard, max_count)
            if taken or not block:
                return taken
        deadline = time.monotonic() + (self.block_timeout if timeout is None else timeout)
        if len(by_shard) == 1 and can_pop_inline(by_shard[0][0]):
            shard, keys = by_shard[0]
            ident = (id(shard), *sorted(keys))
            if not self._orphans.has(ident):  # else adopt it below
                return await self._areceive_inline(queues, max_count, shard, keys, ident, deadline)
        pops: dict[tuple[Any, ...], asyncio.Task[Any]] = {}
        try:
            while time.monotonic() < deadline:
                for shard, keys in by_shard:
                    ident = (id(shard), *sorted(keys))
                    if ident not in pops:
                        pops[ident] = self._orphans.adopt_or_start(
                            ident, functools.partial(self._blpop, shard, keys, deadline, max_count)
                        )
                await asyncio.wait(pops.values(), return_when=asyncio.FIRST_COMPLETED)
                for ident, task in list(pops.items()):
                    if task.done():
                        del pops[ident]
                        taken = self._popped.accept_popped_many(task.result(), max_count)
                        if taken:
                            return taken
                taken = self._popped.take_many(queues, max_count)
                if taken:
                    return taken
            return []
        finally:
            # Pops still running (or done but not read) when this receive returns or is
            # cancelled: what they pop is kept for the next receive, never lost.
            for ident, task in pops.items():
                self._orphans.orphan(ident, task)

    async def _areceive_inline(
        self,
        queues: list[str],
        max_count: int,
        shard: LayerShard,
        keys: list[str],
        ident: Any,
        deadline: float,
    ) -> Taken:
        """A blocking receive on one shard, its pops run in this coroutine (see
        :mod:`~channels.layers.inline_pop`)."""
        while time.monotonic() < deadline:
            popped = await self._blpop(shard, keys, deadline, max_count, ident)
            taken = self._popped.accept_popped_many(popped, max_count)
            if not taken:
                taken = self._popped.take_many(queues, max_count)
            if taken:
                return taken
        return []

    def _pop_waiting(self, by_shard: list[tuple[LayerShard, list[str]]], max_count: int) -> Taken:
        """Up to ``max_count`` messages already waiting, without blocking: the ``pop_many``
        script on each shard (cluster slot) in turn, for its share of the batch."""
        replies: list[tuple[list[Any], int]] = []
        for shard, keys, want in _turns(by_shard, max_count, replies):
            with self._reaching(shard):
                replies.append((shard.run("pop_many", keys, [time.time(), want]), want))
        return self._accept_replies(replies)

    async def _apop_waiting(
        self, by_shard: list[tuple[LayerShard, list[str]]], max_count: int
    ) -> Taken:
        """Async :meth:`_pop_waiting`; if cancelled, what it took is kept for the next
        receive."""
        replies: list[tuple[list[Any], int]] = []
        try:
            for shard, keys, want in _turns(by_shard, max_count, replies):
                replies.append((await self._pop_now(shard, keys, want), want))
        except asyncio.CancelledError:
            for reply, _ in replies:
                self._popped.accept_pop_many(reply, 0)
            raise
        return self._accept_replies(replies)

    def _accept_replies(self, replies: list[tuple[list[Any], int]]) -> Taken:
        taken: Taken = []
        for reply, want in replies:
            taken.extend(self._popped.accept_pop_many(reply, want))
        return taken

    async def _pop_now(self, shard: LayerShard, keys: list[str], max_count: int) -> list[Any]:
        """Run the non-blocking ``pop_many`` script, for its reply; if this receive is
        cancelled meanwhile, what the script popped is kept in the buffer."""
        task = asyncio.ensure_future(shard.arun("pop_many", keys, [time.time(), max_count]))
        try:
            with self._reaching(shard):
                reply: list[Any] = await asyncio.shield(task)
        except asyncio.CancelledError:
            task.add_done_callback(self._popped.deposit_pop_many)
            raise
        return reply

    async def _blpop(
        self, shard: LayerShard, keys: list[str], deadline: float, count: int, inline: Any = None
    ) -> Popped:
        """One blocking pop of up to ``count`` elements (in this coroutine, orphaned under
        ``inline`` if cancelled, when that is given), or None on timeout or after a backoff
        pause during an outage."""
        try:
            if inline is None:
                popped = await blocking_pop(shard, keys, pop_timeout(deadline), count)
            else:
                popped = await inline_pop(
                    shard, keys, pop_timeout(deadline), self._orphans, inline, count
                )
        except redis.exceptions.MovedError as exc:
            raise self._topology.moved(shard, exc) from exc
        except UNREACHABLE as exc:
            pause = self._outages.failed(shard.description, tuple(keys), exc)
            await asyncio.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            return None
        self._outages.succeeded(shard.description, tuple(keys))
        return popped


__all__ = ["UNREACHABLE", "RedisReceiving", "pop_timeout"]
