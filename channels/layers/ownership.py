"""The Redis layer's part in the interface server's ownership of its connections.

* **Owner marks.** An interface server claims its reply prefix with a key that expires
  unless renewed (:data:`OWNER_TTL`), so membership notes go only to a prefix whose owner is
  alive, and never count against a capacity.
* **Membership notes** (:mod:`channels.layers.membership`): pushed by a one-key-pair script,
  ``note.lua``, only when the mark exists.
* **Retractable sends**: a send returns the stored element, and ``LREM`` takes it back while
  no worker has popped it (a request whose client left never runs).
* **The store's epoch**: the servers' run ids, which change when a server restarted or failed
  over (and, without persistence, came back empty).
* **The start-up check**: one PING per server, telling refused credentials from an outage.
"""

from __future__ import annotations

import abc
import contextlib
import time
from typing import Any

from . import envelope
from .base import BaseChannelLayer, Message
from .cluster import LayerShard
from .membership import note_for
from .names import queue_name


def _run_ids(info: Any) -> list[str]:
    """The run ids in an ``INFO server`` reply: one server's, or a cluster client's answer
    per node (sorted, so the order of the nodes does not matter)."""
    if isinstance(info, dict) and "run_id" in info:
        return [str(info["run_id"])]
    if isinstance(info, dict):
        return sorted(str(part.get("run_id")) for part in info.values() if isinstance(part, dict))
    return []


#: Seconds an interface server's claim to its reply prefix lasts unless renewed.
OWNER_TTL = 30


class RedisOwnership(BaseChannelLayer):
    """Owner marks, notes, epoch and check, for :class:`~channels.layers.redis.RedisChannelLayer`
    (which provides the shards and the encoding)."""

    prefix: str
    _ttl: int

    @property
    @abc.abstractmethod
    def shards(self) -> list[LayerShard]:
        """Every server (or the one cluster) the layer's keys live on."""

    @abc.abstractmethod
    def _shard(self, name: str) -> LayerShard:
        """The shard that holds queue or key ``name``."""

    @abc.abstractmethod
    def _reaching(self, shard: Any) -> contextlib.AbstractContextManager[None]:
        """Turn the store's connection errors inside the block into the layer's."""

    @abc.abstractmethod
    def _send_call(self, channel: str, message: Message) -> tuple[LayerShard, str, list[Any]]:
        """The shard, queue and script arguments of a send."""

    @abc.abstractmethod
    def _sent(self, pushed: int, channel: str, queue: str) -> None:
        """Count a send, or raise ``ChannelFull`` when the script refused it."""

    @abc.abstractmethod
    def _body(self, data: bytes) -> bytes:
        """An encoded message as stored (encrypted when the layer encrypts)."""

    detects_store_loss = True

    # -- membership notes (see channels.layers.membership) --------------------------------

    def _owner_mark(self, queue: str) -> str:
        # Under the layer's prefix (flush and SCAN find it), with the queue's key as its hash
        # tag, so on a Redis Cluster it shares the queue's slot (a key without braces hashes
        # whole) and note.lua touches one slot. No channel name has braces: no collision.
        return f"{self.prefix}owner{{{self.prefix}{queue}}}"

    def own_memberships(self, prefix: str) -> None:
        super().own_memberships(prefix)
        shard = self._shard(prefix)
        with self._reaching(shard):
            shard.client.set(self._owner_mark(prefix), 1, ex=OWNER_TTL)

    async def aown_memberships(self, prefix: str) -> None:
        super().own_memberships(prefix)
        shard = self._shard(prefix)
        with self._reaching(shard):
            await shard.for_loop().plain.set(self._owner_mark(prefix), 1, ex=OWNER_TTL)

    async def aowns_memberships(self, prefix: str) -> bool | None:
        shard = self._shard(prefix)
        with self._reaching(shard):
            return bool(await shard.for_loop().plain.exists(self._owner_mark(prefix)))

    def _note_call(
        self, op: str, group: str, channel: str
    ) -> tuple[LayerShard, list[str], list[Any]]:
        target, note = note_for(op, group, channel) or ("", {})
        queue = queue_name(target)
        element = envelope.pack(
            time.time() + self.expiry, target, self._body(self.encode(target, note))
        )
        return (
            self._shard(queue),
            [self._owner_mark(queue), self.prefix + queue],
            [element, self._ttl],
        )

    def tell_owner(self, op: str, group: str, channel: str) -> None:
        if note_for(op, group, channel) is not None:
            shard, keys, args = self._note_call(op, group, channel)
            with self._reaching(shard):
                shard.run("note", keys, args)

    async def atell_owner(self, op: str, group: str, channel: str) -> None:
        if note_for(op, group, channel) is not None:
            shard, keys, args = self._note_call(op, group, channel)
            with self._reaching(shard):
                await shard.arun("note", keys, args)

    # -- taking requests back (the interface server's client left) -------------------------

    def send_retractable(self, channel: str, message: Message) -> Any:
        shard, queue, args = self._send_call(channel, message)
        with self._reaching(shard):
            pushed = shard.run("send", [self.prefix + queue], args)
        self._sent(pushed, channel, queue)
        return args[0]  # the stored element: LREM finds it again

    async def asend_retractable(self, channel: str, message: Message) -> Any:
        shard, queue, args = self._send_call(channel, message)
        with self._reaching(shard):
            pushed = await shard.arun("send", [self.prefix + queue], args)
        self._sent(pushed, channel, queue)
        return args[0]

    def retract(self, channel: str, receipt: Any) -> bool:
        queue = queue_name(channel)
        shard = self._shard(queue)
        with self._reaching(shard):
            return bool(receipt is not None and shard.client.lrem(self.prefix + queue, 1, receipt))

    async def aretract(self, channel: str, receipt: Any) -> bool:
        queue = queue_name(channel)
        shard = self._shard(queue)
        with self._reaching(shard):
            removed = receipt is not None and await shard.for_loop().plain.lrem(
                self.prefix + queue, 1, receipt
            )
        return bool(removed)

    # -- the store ---------------------------------------------------------------------------

    def store_epoch(self) -> Any:
        """The run ids of the servers: a restarted or failed-over server has a new one, and
        a new server has lost what the old one held (no persistence assumed)."""
        epoch: list[str] = []
        for shard in self.shards:
            with self._reaching(shard):
                epoch.extend(_run_ids(shard.client.info("server")))
        return tuple(epoch)

    async def astore_epoch(self) -> Any:
        epoch: list[str] = []
        for shard in self.shards:
            with self._reaching(shard):
                epoch.extend(_run_ids(await shard.for_loop().plain.info("server")))
        return tuple(epoch)

    def check(self) -> None:
        for shard in self.shards:
            with self._reaching(shard):
                shard.client.ping()


__all__ = ["OWNER_TTL", "RedisOwnership"]
