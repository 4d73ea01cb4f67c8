"""The IPC channel layer class: the contract on top of the shared store and wake-ups."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import random
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import Any, cast

from ...exceptions import ChannelFull, InvalidChannelLayerError
from ..base import Message, Received
from ..codec import decode_message
from ..direct_async import DirectAsyncLayer
from ..names import check_channel_name, check_group_name, check_receive_names, queue_name
from . import tables
from .pending import Pending
from .store import Store, StoreFull
from .wakeup import Waker, WakeSocket

logger = logging.getLogger("channels.layers.ipc")

#: Seconds between looks of a blocked receive that found no room to register in a full store.
FULL_STORE_RETRY = 0.05

_PREFIX_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")

#: Default size of the shared store, in bytes.
DEFAULT_CHANNEL_MEMORY = 100 * 1024 * 1024


def _default_directory() -> Path:
    shm = Path("/dev/shm")
    return shm if shm.is_dir() else Path(tempfile.gettempdir())


def _shuffled(keys: list[str]) -> list[str]:
    return keys if len(keys) == 1 else random.sample(keys, len(keys))


class IPCChannelLayer(DirectAsyncLayer):
    """A channel layer shared by the processes of one machine, with no server to run.

    Every process that builds it with the same ``prefix`` and ``directory`` shares its
    channels and groups: daphne and any number of ``runworker`` processes on one box.
    Options, besides those of :class:`~channels.layers.base.BaseChannelLayer`:

    ``prefix``
        Names the shared store (default ``"asgi"``); layers with different prefixes are
        independent. ASCII letters, digits, ``_``, ``.`` and ``-``.
    ``channel_memory``
        Most bytes the store may use for messages and groups (default 100 MiB). When it is
        full, ``send`` raises ``ChannelFull`` saying so.
    ``directory``
        Where the store's files live (default ``/dev/shm``, a memory-backed filesystem).

    Linux only: it relies on ``flock`` and abstract Unix sockets.
    """

    def __init__(
        self,
        prefix: str = "asgi",
        *,
        channel_memory: int = DEFAULT_CHANNEL_MEMORY,
        directory: str | Path | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        if not sys.platform.startswith("linux"):
            raise InvalidChannelLayerError(
                f"IPCChannelLayer needs Linux (flock and abstract Unix sockets), but this is "
                f"{sys.platform!r}; use channels.layers.redis.RedisChannelLayer here"
            )
        if not isinstance(prefix, str) or not _PREFIX_RE.fullmatch(prefix):
            raise ValueError(
                f"invalid IPC layer prefix {prefix!r}: use 1-64 ASCII letters, digits, '_', "
                "'.' or '-'"
            )
        if type(channel_memory) is not int or channel_memory < 4 * self.max_message_size:
            raise ValueError(
                f"channel_memory must be an int of at least 4 x max_message_size "
                f"({4 * self.max_message_size} bytes), got {channel_memory!r}"
            )
        folder = Path(directory) if directory is not None else _default_directory()
        if not folder.is_dir() or not os.access(folder, os.R_OK | os.W_OK | os.X_OK):
            raise ValueError(
                f"IPC layer directory {str(folder)!r} is not a directory this process can "
                "write to; create it or give another directory"
            )
        self.prefix = prefix
        self.channel_memory = channel_memory
        self.store = Store(folder, prefix, channel_memory)
        self._waker = Waker()
        self._next_sweep = 0.0
        self._pending = Pending()
        self._full_logged = False

    # -- transactions -----------------------------------------------------------------------

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

    # -- channels ---------------------------------------------------------------------------

    def send(self, channel: str, message: Message) -> None:
        data = self.encode(channel, message)
        queue = queue_name(channel)
        capacity = self.capacities.of(queue)
        targets = channel if queue != channel else None
        with self._transaction() as db:
            now = time.time()
            pushed, expired = tables.push(
                db, queue, targets, data, now + self.expiry, capacity, now
            )
            waiting = tables.take_waiters(db, queue) if pushed else []
        self._expired(expired)
        if not pushed:
            raise self.channel_full(channel, capacity)
        self._waker.wake(waiting)
        self.count("messages_sent")

    def _pop(self, queues: list[str], waiter: WakeSocket | None) -> Received | None:
        """Take a message (kept from an earlier bulk pop, or in one transaction), or (with
        ``waiter``) register to be woken in that same transaction.

        Raises ``ChannelFull`` when the store has no room left to register the waiter."""
        delivery = None
        if self._pending:
            delivery, expired = self._pending.take(queues, time.time())
            self._expired(expired)
        if delivery is None:
            with self._transaction() as db:
                if waiter is not None:
                    tables.remove_waiter(db, waiter.address)
                deliveries, expired = tables.pop(db, _shuffled(queues), time.time())
                if not deliveries and waiter is not None:
                    tables.add_waiter(db, queues, waiter.address)
            self._expired(expired)
            if not deliveries:
                return None
            delivery = deliveries[0]
            if len(deliveries) > 1:
                self._pending.keep(queue_name(delivery[0]), deliveries[1:])
        self.count("messages_received")
        return delivery[0], decode_message(delivery[2])

    def _unregister(self, waiter: WakeSocket) -> None:
        with self._transaction() as db:
            tables.remove_waiter(db, waiter.address)

    def _waits(
        self, queues: list[str], deadline: float, waiter: WakeSocket
    ) -> Generator[float, None, Received]:
        """The blocking part of a receive, for both APIs: yields how long to sleep on
        ``waiter`` whenever it has registered and found nothing; returns the result. Closed
        early (a cancelled ``areceive``), it unregisters the waiter."""
        try:
            while True:
                try:
                    found = self._pop(queues, waiter)
                    pause = math.inf
                except ChannelFull:
                    # No room even to register: look again soon, and log the one time.
                    found = self._pop(queues, None)
                    pause = FULL_STORE_RETRY
                    self._log_full_store()
                if found is not None:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                yield min(remaining, pause)
        except BaseException:
            self._unregister(waiter)
            raise
        self._unregister(waiter)
        return None, None

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

    def _first_look(
        self, channels: Iterable[str], block: bool, timeout: float | None
    ) -> tuple[Received | None, list[str], float]:
        """A receive's first, non-blocking try: (its result if that is final, the queues,
        the deadline)."""
        queues = check_receive_names(channels)
        found = self._pop(queues, None)
        deadline = time.monotonic() + (self.block_timeout if timeout is None else timeout)
        if found is not None or not block or deadline <= time.monotonic():
            return found or (None, None), queues, deadline
        return None, queues, deadline

    def receive(
        self, channels: Iterable[str], block: bool = False, timeout: float | None = None
    ) -> Received:
        final, queues, deadline = self._first_look(channels, block, timeout)
        if final is not None:
            return final
        with (
            WakeSocket() as waiter,
            contextlib.closing(self._waits(queues, deadline, waiter)) as waits,
        ):
            try:
                while True:
                    waiter.wait(next(waits))
            except StopIteration as done:
                return cast(Received, done.value)

    async def areceive(
        self, channels: Iterable[str], block: bool = False, timeout: float | None = None
    ) -> Received:
        # No await between taking a message and returning it: cancelling cannot lose one.
        final, queues, deadline = self._first_look(channels, block, timeout)
        if final is not None:
            return final
        with (
            WakeSocket() as waiter,
            contextlib.closing(self._waits(queues, deadline, waiter)) as waits,
        ):
            try:
                while True:
                    await waiter.await_wake(next(waits))
            except StopIteration as done:
                return cast(Received, done.value)

    # -- groups -----------------------------------------------------------------------------

    def group_add(self, group: str, channel: str) -> None:
        check_group_name(group)
        check_channel_name(channel)
        with self._transaction() as db:
            tables.group_add(db, group, channel, time.time())

    def group_discard(self, group: str, channel: str) -> None:
        check_group_name(group)
        check_channel_name(channel)
        with self._transaction() as db:
            tables.group_discard(db, group, channel)

    def send_group(self, group: str, message: Message) -> None:
        data = self.encode_group_send(group, message)
        sent, skipped, waiting = 0, list[str](), list[bytes]()
        buckets: dict[str, list[str]] = {}
        try:
            with self._transaction() as db:
                now = time.time()
                for channel in tables.live_members(db, group, now - self.group_expiry):
                    buckets.setdefault(queue_name(channel), []).append(channel)
                for queue, members in buckets.items():
                    targets = ",".join(members) if queue != members[0] else None
                    pushed, expired = tables.push(
                        db, queue, targets, data, now + self.expiry, self.capacities.of(queue), now
                    )
                    self._expired(expired)
                    if pushed:
                        sent += len(members)
                        waiting.extend(tables.take_waiters(db, queue))
                    else:
                        skipped.extend(members)
        except ChannelFull:
            # The store itself is full: the transaction stored nothing, every member is skipped.
            sent, waiting = 0, []
            skipped = [channel for members in buckets.values() for channel in members]
        self._waker.wake(waiting)
        self.count("group_messages_sent", sent)
        self.report_group_skips(group, skipped)

    def group_channels(self, group: str) -> list[str]:
        check_group_name(group)
        with self._transaction() as db:
            return tables.live_members(db, group, time.time() - self.group_expiry)

    # -- the rest ---------------------------------------------------------------------------

    def flush(self) -> None:
        """Delete every message and group by removing the store's files; the next operation
        of any process starts a new, empty store. Blocked receives are woken to re-register."""
        self._pending.clear()
        self._waker.wake(self.store.remove())

    def channel_statistics(self, channel: str) -> dict[str, Any]:
        queue = check_receive_names([queue_name(channel)])[0]
        with self._transaction() as db:
            now = time.time()
            self._expired(tables.drop_expired_heads(db, queue, now))
            length = tables.queue_length(db, queue)
            head = tables.head_expiry(db, queue)
        return {
            "messages_pending": length,
            "oldest_message_age": None if head is None else max(0.0, now - (head - self.expiry)),
            "capacity": self.capacities.of(queue),
        }

    def close(self) -> None:
        self.store.close()
        self._waker.close()

    def __repr__(self) -> str:
        return f"<IPCChannelLayer prefix={self.prefix!r} directory={str(self.store.directory)!r}>"
