"""The in-memory channel layer: one process, any mix of threads and event loops.

``runserver`` runs daphne's event loop in one thread and workers in others over one of these,
so a send from any thread wakes a blocked ``receive`` in another thread, or an ``areceive`` on
any event loop, at once: waiters are registered per queue and woken by the sender (no polling).
It keeps the Redis layer's semantics (validation, encoding, capacity, expiry, one stored copy
per process-specific prefix for group sends), so tests on it mean something.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

from .base import Message, SendResult
from .batch_receiving import BatchReceiving
from .codec import decode_message
from .direct_async import DirectAsyncLayer
from .inmemory_registry import InMemoryRegistry
from .membership import ADD, DISCARD, note_for
from .names import check_channel_name, check_group_name, check_receive_names, queue_name


class _Entry:
    """One stored message. ``targets`` lists the full names of the process-specific channels
    it is for (one copy serves several group members); None for a normal channel."""

    __slots__ = ("data", "expires", "sent", "targets")

    def __init__(self, data: bytes, sent: float, expires: float, targets: list[str] | None):
        self.data = data
        self.sent = sent
        self.expires = expires
        self.targets = targets


class _Waiter:
    """A blocked receive: a thread's Event, or a future on some event loop."""

    __slots__ = ("event", "future", "loop")

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop | None = None,
        future: asyncio.Future[None] | None = None,
    ) -> None:
        self.event = threading.Event() if future is None else None
        self.loop = loop
        self.future = future


def _wake(waiters: Iterable[_Waiter]) -> None:
    """Wake blocked receives, once each: a thread's Event is set; the futures of one event
    loop are resolved by one callback on that loop (a burst of sends to many receives of a
    loop costs it one wake-up, and none through its self-pipe when the sender runs there)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for waiter in waiters:
        if waiter.event is not None:
            waiter.event.set()
        else:
            assert waiter.loop is not None and waiter.future is not None
            by_loop.setdefault(waiter.loop, []).append(waiter.future)
    if not by_loop:
        return
    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:  # a sync send, from a thread without a loop
        running = None
    for loop, futures in by_loop.items():
        if loop is running:
            loop.call_soon(_resolve, futures)
            continue
        # RuntimeError: that event loop is closed, and its receives are gone with it.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_resolve, futures)


def _resolve(futures: list[asyncio.Future[None]]) -> None:
    for future in futures:
        if not future.done():
            future.set_result(None)


class InMemoryChannelLayer(InMemoryRegistry, DirectAsyncLayer, BatchReceiving):
    """A channel layer held in this process's memory.

    Only threads of one process share it, so it suits ``runserver`` and tests, not a
    deployment with separate ``runworker`` processes. Takes the options of
    :class:`~channels.layers.base.BaseChannelLayer`.
    """

    crosses_processes = False

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._lock = threading.Lock()
        self._queues: dict[str, deque[_Entry]] = {}
        self._groups: dict[str, dict[str, float]] = {}
        self._waiters: dict[str, set[_Waiter]] = {}
        self._next_sweep = time.monotonic() + self.expiry

    # -- internals (call with the lock held) ------------------------------------------------

    def _drop_expired(self, key: str, queue: deque[_Entry], now: float) -> None:
        expired = 0
        while queue and queue[0].expires <= now:
            entry = queue.popleft()
            expired += len(entry.targets) if entry.targets else 1
        if expired:
            self.count("messages_expired", expired, queue=key)

    def _sweep(self, now: float) -> None:
        """Drop expired messages and memberships everywhere, so abandoned channels and groups
        do not hold memory; runs at most once per ``expiry`` seconds."""
        self._next_sweep = now + self.expiry
        for key in list(self._queues):
            self._drop_expired(key, self._queues[key], now)
            if not self._queues[key]:
                del self._queues[key]
        for group in list(self._groups):
            self._live_members(group, now)

    def _live_members(self, group: str, now: float) -> list[str]:
        members = self._groups.get(group)
        if not members:
            return []
        cutoff = now - self.group_expiry
        for channel in [c for c, added in members.items() if added <= cutoff]:
            del members[channel]
        if not members:
            del self._groups[group]
        return list(members)

    def _push(
        self,
        key: str,
        data: bytes,
        now: float,
        targets: list[str] | None,
        woken: set[_Waiter],
        bounded: bool = True,
    ) -> _Entry | None:
        """Append a message to queue ``key``; None if the queue is at capacity (unless not
        ``bounded``: membership notes never count against a capacity). The queue's blocked
        receives join ``woken``: the caller wakes them once the lock is released."""
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = deque()
        else:
            self._drop_expired(key, queue, now)
            if bounded and len(queue) >= self.capacities.of(key):
                return None
        entry = _Entry(data, now, now + self.expiry, targets)
        queue.append(entry)
        woken.update(self._waiters.pop(key, ()))
        return entry

    def _pop(self, keys: list[str]) -> tuple[str, bytes] | None:
        while True:
            found = self._pop_one(keys)
            if found is None or not self.unwanted_note(found[0]):
                return found

    def _pop_one(self, keys: list[str]) -> tuple[str, bytes] | None:
        now = time.monotonic()
        order = keys if len(keys) == 1 else random.sample(keys, len(keys))
        for key in order:
            queue = self._queues.get(key)
            if not queue:
                continue
            self._drop_expired(key, queue, now)
            if not queue:
                del self._queues[key]
                continue
            entry = queue[0]
            if entry.targets:
                channel = entry.targets.pop(0)
                if not entry.targets:
                    queue.popleft()
            else:
                channel = key
                queue.popleft()
            if not queue:
                del self._queues[key]
            return channel, entry.data
        return None

    def _pop_many(self, keys: list[str], max_count: int) -> list[tuple[str, bytes]]:
        taken: list[tuple[str, bytes]] = []
        while len(taken) < max_count:
            found = self._pop(keys)
            if found is None:
                break
            taken.append(found)
        return taken

    def _register(self, keys: list[str], waiter: _Waiter) -> None:
        for key in keys:
            self._waiters.setdefault(key, set()).add(waiter)

    def _unregister(self, keys: list[str], waiter: _Waiter) -> None:
        with self._lock:
            for key in keys:
                waiters = self._waiters.get(key)
                if waiters is not None:
                    waiters.discard(waiter)
                    if not waiters:
                        del self._waiters[key]

    def _received(self, taken: list[tuple[str, bytes]]) -> list[tuple[str, Message]]:
        if taken:
            self.count("messages_received", len(taken))
        return [(channel, decode_message(data)) for channel, data in taken]

    # -- channels ---------------------------------------------------------------------------

    def send(self, channel: str, message: Message) -> None:
        self.send_retractable(channel, message)

    def send_retractable(self, channel: str, message: Message) -> Any:
        data = self.encode(channel, message)
        key = queue_name(channel)
        targets = [channel] if key != channel else None
        woken: set[_Waiter] = set()
        with self._lock:
            now = time.monotonic()
            if now >= self._next_sweep:
                self._sweep(now)
            entry = self._push(key, data, now, targets, woken)
            if entry is None:
                raise self.channel_full(channel, self.capacities.of(key))
        _wake(woken)
        self.count("messages_sent")
        return entry

    def send_many(self, items: Sequence[tuple[str, Message]]) -> list[SendResult]:
        encoded = [(channel, self.encode(channel, message)) for channel, message in items]
        results: list[SendResult] = []
        refused: set[str] = set()
        woken: set[_Waiter] = set()
        with self._lock:
            # One lock hold: the batch is stored at once, and its receives woken once each.
            now = time.monotonic()
            for channel, data in encoded:
                key = queue_name(channel)
                targets = [channel] if key != channel else None
                if key in refused or self._push(key, data, now, targets, woken) is None:
                    refused.add(key)
                    results.append(self.channel_full(channel, self.capacities.of(key)))
                else:
                    results.append(None)
        _wake(woken)
        self.count("messages_sent", results.count(None))
        return results

    async def asend_many(self, items: Sequence[tuple[str, Message]]) -> list[SendResult]:
        return self.send_many(items)

    def tell_owner(self, op: str, group: str, channel: str) -> None:
        note = note_for(op, group, channel)
        if note is None or queue_name(channel) not in self._note_owners:
            return
        target, content = note
        data = self.encode(target, content)
        woken: set[_Waiter] = set()
        with self._lock:
            self._push(queue_name(target), data, time.monotonic(), [target], woken, bounded=False)
        _wake(woken)

    def retract(self, channel: str, receipt: Any) -> bool:
        with self._lock:
            queue = self._queues.get(queue_name(channel))
            if queue is None or receipt is None:
                return False
            for index, entry in enumerate(queue):
                if entry is receipt:
                    del queue[index]
                    return True
        return False

    async def asend_retractable(self, channel: str, message: Message) -> Any:
        return self.send_retractable(channel, message)

    async def aretract(self, channel: str, receipt: Any) -> bool:
        return self.retract(channel, receipt)

    def _receive(
        self, keys: list[str], max_count: int, block: bool, timeout: float | None
    ) -> list[tuple[str, Message]]:
        deadline = time.monotonic() + (self.block_timeout if timeout is None else timeout)
        while True:
            with self._lock:
                taken = self._pop_many(keys, max_count)
                if taken or not block:
                    return self._received(taken)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                # Registered under the lock that guards the queues: a send after our check
                # cannot miss us.
                waiter = _Waiter()
                self._register(keys, waiter)
            try:
                assert waiter.event is not None
                waiter.event.wait(remaining)
            finally:
                self._unregister(keys, waiter)

    async def _areceive(
        self, keys: list[str], max_count: int, block: bool, timeout: float | None
    ) -> list[tuple[str, Message]]:
        deadline = time.monotonic() + (self.block_timeout if timeout is None else timeout)
        loop = asyncio.get_running_loop()
        while True:
            with self._lock:
                taken = self._pop_many(keys, max_count)
                if taken or not block:
                    # No await between taking messages and returning them, so cancelling
                    # this coroutine cannot lose a message.
                    return self._received(taken)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                future: asyncio.Future[None] = loop.create_future()
                waiter = _Waiter(loop, future)
                self._register(keys, waiter)
            try:
                await asyncio.wait({future}, timeout=remaining)
            finally:
                self._unregister(keys, waiter)

    # -- groups -----------------------------------------------------------------------------

    def group_add(self, group: str, channel: str) -> None:
        check_group_name(group)
        check_channel_name(channel)
        with self._lock:
            self._groups.setdefault(group, {})[channel] = time.monotonic()
        self.tell_owner(ADD, group, channel)

    def group_discard(self, group: str, channel: str) -> None:
        check_group_name(group)
        check_channel_name(channel)
        with self._lock:
            members = self._groups.get(group)
            if members is not None:
                members.pop(channel, None)
                if not members:
                    del self._groups[group]
        self.tell_owner(DISCARD, group, channel)

    def send_group(self, group: str, message: Message) -> None:
        data = self.encode_group_send(group, message)
        skipped: list[str] = []
        sent = 0
        woken: set[_Waiter] = set()
        with self._lock:
            now = time.monotonic()
            buckets: dict[str, list[str]] = {}
            for channel in self._live_members(group, now):
                buckets.setdefault(queue_name(channel), []).append(channel)
            for key, members in buckets.items():
                targets = members if members[0] != key else None
                if self._push(key, data, now, targets, woken):
                    sent += len(members)
                else:
                    skipped.extend(members)
        _wake(woken)
        self.count("group_messages_sent", sent)
        self.report_group_skips(group, skipped)

    def group_channels(self, group: str) -> list[str]:
        check_group_name(group)
        with self._lock:
            return self._live_members(group, time.monotonic())

    # -- the rest ---------------------------------------------------------------------------

    def flush(self) -> None:
        with self._lock:
            self._queues.clear()
            self._groups.clear()

    def channel_statistics(self, channel: str) -> dict[str, Any]:
        key = queue_name(check_receive_names([queue_name(channel)])[0])
        with self._lock:
            now = time.monotonic()
            queue = self._queues.get(key, deque())
            self._drop_expired(key, queue, now)
            return {
                "messages_pending": len(queue),
                "oldest_message_age": now - queue[0].sent if queue else None,
                "capacity": self.capacities.of(key),
            }


#: The seeds' ``asgiref.inmemory.ChannelLayer`` name for this class.
ChannelLayer = InMemoryChannelLayer
