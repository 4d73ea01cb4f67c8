"""How the IPC layer receives: taking messages, sleeping until woken, passing wake-ups on.

A receive that blocks registers its wake socket on each of its queues in the same
transaction that found them empty, so a send that commits afterwards always sees it. A send
wakes one registered receive per stored message; a woken receive that leaves hands the
wake-up on (see :func:`~channels.layers.ipc.tables.take_waiters_with_work`). Sync receives
reuse one wake socket per thread; an ``areceive`` makes its own when it has to wait.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import sqlite3
import threading
import time
from collections.abc import Generator, Iterator
from typing import cast

from ...exceptions import ChannelFull
from ..batch_receiving import BatchReceiving, Taken
from ..codec import decode_message
from ..direct_async import DirectAsyncLayer
from ..names import queue_name
from . import tables
from .pending import Pending
from .store import Store, StoreFull
from .wakeup import Waker, WakeSocket

logger = logging.getLogger("channels.layers.ipc")


#: Seconds between looks of a blocked receive that found no room to register in a full store.
FULL_STORE_RETRY = 0.05


def _shuffled(keys: list[str]) -> list[str]:
    return keys if len(keys) == 1 else random.sample(keys, len(keys))


class ReceivingLayer(DirectAsyncLayer, BatchReceiving):
    """The store's transactions and the receive side of
    :class:`~channels.layers.ipc.IPCChannelLayer` (which sets the attributes below)."""

    prefix: str
    channel_memory: int
    store: Store
    _waker: Waker
    _pending: Pending
    _next_sweep: float
    _full_logged: bool
    _sockets: list[WakeSocket]
    _local: threading.local

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            with self.store.transaction() as db:
                now = time.time()
                if now >= self._next_sweep:
                    self._next_sweep = now + min(self.expiry, 60)
                    self._expired(tables.sweep(db, now, now - self.group_expiry))
                yield db
        except StoreFull:
            self.count("channel_full_count")
            raise ChannelFull(
                f"the IPC channel layer's store {self.prefix!r} is full "
                f"(channel_memory={self.channel_memory} bytes); raise the layer's "
                "channel_memory option, or receive faster"
            ) from None

    def _expired(self, count: int) -> None:
        if count:
            self.count("messages_expired", count)

    def _wake(self, wakes: list[tables.Wake]) -> None:
        """Wake these receives; for each that has died, wake another of its queue."""
        while wakes:
            dead = self._waker.wake(wakes)
            if not dead:
                return
            with self._transaction() as db:
                wakes = [wake for queue in dead if (wake := tables.take_waiter(db, queue))]

    # -- taking messages --------------------------------------------------------------------

    def _pop(
        self, queues: list[str], max_count: int, waiter: WakeSocket | None, registered: bool
    ) -> Taken:
        """Take up to ``max_count`` messages (kept from a bulk pop, or in one transaction),
        or else register ``waiter`` to be woken, in that same transaction. A ``registered``
        waiter is unregistered first, and passes its wake-up on if it takes a message."""
        if self._pending:
            kept = self._take_pending(queues, max_count)
            if kept:
                if registered:
                    self._leave(queues, cast(WakeSocket, waiter))
                return kept
        passed_on: list[tables.Wake] = []
        with self._transaction() as db:
            if registered:
                tables.remove_waiter(db, cast(WakeSocket, waiter).address)
            deliveries, expired = tables.pop(db, _shuffled(queues), time.time(), max_count)
            if not deliveries and waiter is not None:
                tables.add_waiter(db, queues, waiter.address)
            elif registered:
                passed_on = tables.take_waiters_with_work(db, queues)
        self._expired(expired)
        self._wake(passed_on)
        for delivery in deliveries[max_count:]:
            # Past the batch (a bulk pop, a group copy): kept, in order, for the next receive.
            self._pending.keep(queue_name(delivery[0]), [delivery])
        return self._received(deliveries[:max_count])

    def _take_pending(self, queues: list[str], max_count: int) -> Taken:
        taken: list[tables.Delivery] = []
        while len(taken) < max_count:
            delivery, expired = self._pending.take(queues, time.time())
            self._expired(expired)
            if delivery is None:
                break
            taken.append(delivery)
        return self._received(taken)

    def _received(self, deliveries: list[tables.Delivery]) -> Taken:
        if deliveries:
            self.count("messages_received", len(deliveries))
        return [(channel, decode_message(data)) for channel, _, data in deliveries]

    def _leave(self, queues: list[str], waiter: WakeSocket) -> None:
        """Unregister a waiter that goes without a message from the store, passing on the
        wake-up it may have received."""
        with self._transaction() as db:
            tables.remove_waiter(db, waiter.address)
            passed_on = tables.take_waiters_with_work(db, queues)
        self._wake(passed_on)

    def _waits(
        self, queues: list[str], max_count: int, deadline: float, waiter: WakeSocket
    ) -> Generator[float, None, Taken]:
        """A blocking receive, for both APIs: yields how long to sleep on ``waiter``
        whenever it has registered and found nothing; returns the result. Closed early (a
        cancelled ``areceive``), it unregisters the waiter."""
        registered = False
        try:
            while True:
                try:
                    found = self._pop(queues, max_count, waiter, registered)
                    registered, pause = not found, math.inf
                except ChannelFull:
                    # No room even to register: look again soon, and log the one time.
                    found = self._pop(queues, max_count, None, registered)
                    registered, pause = False, FULL_STORE_RETRY
                    self._log_full_store()
                if found:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                yield min(remaining, pause)
        finally:
            if registered:
                self._leave(queues, waiter)

    def _log_full_store(self) -> None:
        if not self._full_logged:
            self._full_logged = True
            logger.warning(
                "the IPC layer's store %r is full (channel_memory=%d): blocked receives look "
                "for messages every %s s until it has room; raise channel_memory",
                self.prefix,
                self.channel_memory,
                FULL_STORE_RETRY,
            )

    def _thread_socket(self) -> WakeSocket:
        waiter: WakeSocket | None = getattr(self._local, "socket", None)
        if waiter is None:
            waiter = self._local.socket = WakeSocket()
            self._sockets.append(waiter)
        waiter.drain()
        return waiter

    # -- the API ----------------------------------------------------------------------------

    def _receive(
        self, queues: list[str], max_count: int, block: bool, timeout: float | None
    ) -> Taken:
        deadline = time.monotonic() + (self.block_timeout if timeout is None else timeout)
        if not block or deadline <= time.monotonic():
            return self._pop(queues, max_count, None, False)
        waiter = self._thread_socket()
        with contextlib.closing(self._waits(queues, max_count, deadline, waiter)) as waits:
            try:
                while True:
                    waiter.wait(next(waits))
            except StopIteration as done:
                return cast(Taken, done.value)

    async def _areceive(
        self, queues: list[str], max_count: int, block: bool, timeout: float | None
    ) -> Taken:
        # No await between taking a message and returning it: cancelling cannot lose one.
        deadline = time.monotonic() + (self.block_timeout if timeout is None else timeout)
        if not block or deadline <= time.monotonic():
            return self._pop(queues, max_count, None, False)
        with (
            WakeSocket() as waiter,
            contextlib.closing(self._waits(queues, max_count, deadline, waiter)) as waits,
        ):
            try:
                while True:
                    await waiter.await_wake(next(waits))
            except StopIteration as done:
                return cast(Taken, done.value)

    def _close_sockets(self) -> None:
        for waiter in self._sockets:
            waiter.close()
        self._sockets.clear()
