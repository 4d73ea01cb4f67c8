"""The IPC channel layer class: the contract on top of the shared store and wake-ups."""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...exceptions import ChannelFull, InvalidChannelLayerError
from ..base import Message, SendResult
from ..membership import ADD, DISCARD, note_for
from ..names import check_channel_name, check_group_name, check_receive_names, queue_name
from . import tables
from .pending import Pending
from .receiving import ReceivingLayer
from .registry import IPCRegistry
from .store import Store
from .wakeup import Waker

_PREFIX_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")

logger = logging.getLogger("channels.layers.ipc")

#: Seconds an interface server's claim to its reply prefix lasts unless renewed.
OWNER_TTL = 30

#: Default size of the shared store, in bytes.
DEFAULT_CHANNEL_MEMORY = 100 * 1024 * 1024


def _default_directory() -> Path:
    shm = Path("/dev/shm")
    return shm if shm.is_dir() else Path(tempfile.gettempdir())


class IPCChannelLayer(IPCRegistry, ReceivingLayer):
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
        self._sockets = []
        self._local = threading.local()

    # -- transactions -----------------------------------------------------------------------

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
            wake = tables.take_waiter(db, queue) if pushed else None
        self._expired(expired)
        if not pushed:
            raise self.channel_full(channel, capacity)
        if wake is not None:
            self._wake([wake])
        self.count("messages_sent")

    def send_many(self, items: Sequence[tuple[str, Message]]) -> list[SendResult]:
        encoded = [(channel, self.encode(channel, message)) for channel, message in items]
        results: list[SendResult] = []
        refused: set[str] = set()
        wakes: list[tables.Wake] = []
        try:
            with self._transaction() as db:
                # One transaction: the batch is stored at once; one receive woken per message.
                now = time.time()
                for channel, data in encoded:
                    queue = queue_name(channel)
                    capacity = self.capacities.of(queue)
                    targets = channel if queue != channel else None
                    pushed = False
                    if queue not in refused:
                        pushed, expired = tables.push(
                            db, queue, targets, data, now + self.expiry, capacity, now
                        )
                        self._expired(expired)
                    if pushed:
                        results.append(None)
                        wake = tables.take_waiter(db, queue)
                        if wake is not None:
                            wakes.append(wake)
                    else:
                        refused.add(queue)
                        results.append(self.channel_full(channel, capacity))
        except ChannelFull as exc:
            # The store itself is full: the transaction stored nothing.
            return [exc for _ in items]
        self._wake(wakes)
        self.count("messages_sent", results.count(None))
        return results

    async def asend_many(self, items: Sequence[tuple[str, Message]]) -> list[SendResult]:
        return self.send_many(items)

    # -- groups -----------------------------------------------------------------------------

    def group_add(self, group: str, channel: str) -> None:
        check_group_name(group)
        check_channel_name(channel)
        with self._transaction() as db:
            tables.group_add(db, group, channel, time.time())
        self.tell_owner(ADD, group, channel)

    def group_discard(self, group: str, channel: str) -> None:
        check_group_name(group)
        check_channel_name(channel)
        with self._transaction() as db:
            tables.group_discard(db, group, channel)
        self.tell_owner(DISCARD, group, channel)

    # -- membership notes (see channels.layers.membership) --------------------------------

    def own_memberships(self, prefix: str) -> None:
        super().own_memberships(prefix)
        with self._transaction() as db:
            tables.claim_owner(db, prefix, time.time() + OWNER_TTL)

    async def aowns_memberships(self, prefix: str) -> bool | None:
        with self._transaction() as db:
            return tables.owned(db, prefix, time.time())

    def tell_owner(self, op: str, group: str, channel: str) -> None:
        note = note_for(op, group, channel)
        if note is None:
            return
        target, content = note
        data, queue = self.encode(target, content), queue_name(target)
        try:
            with self._transaction() as db:
                now = time.time()
                if not tables.owned(db, queue, now):
                    return
                # Never counted against a capacity: the owner reads its notes at once.
                tables.push(db, queue, target, data, now + self.expiry, sys.maxsize, now)
                wake = tables.take_waiter(db, queue)
        except ChannelFull:
            logger.warning("membership note for %s dropped: the store is full", channel)
            return
        if wake is not None:
            self._wake([wake])

    def send_group(self, group: str, message: Message) -> None:
        data = self.encode_group_send(group, message)
        sent, skipped, wakes = 0, list[str](), list[tables.Wake]()
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
                        wake = tables.take_waiter(db, queue)
                        if wake is not None:
                            wakes.append(wake)
                    else:
                        skipped.extend(members)
        except ChannelFull:
            # The store itself is full: the transaction stored nothing, every member is skipped.
            sent, wakes = 0, []
            skipped = [channel for members in buckets.values() for channel in members]
        self._wake(wakes)
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
        self._waker.wake(("", address) for address in self.store.remove())

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
        self._close_sockets()

    def __repr__(self) -> str:
        return f"<IPCChannelLayer prefix={self.prefix!r} directory={str(self.store.directory)!r}>"
