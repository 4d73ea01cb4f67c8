"""The Redis layer's part in the interface server's ownership of its connections.

* **Owner marks.** An interface server claims its reply prefix with a key that expires
  unless renewed (:data:`OWNER_TTL`), so membership notes go only to a prefix whose owner is
  alive, and never count against a capacity.
* **Membership notes** (:mod:`channels.layers.membership`): pushed by a one-key-pair script,
  ``note.lua``, only when the mark exists.
* **The store's epoch**: the servers' run ids, which change when a server restarted or failed
  over (and, without persistence, came back empty).
* **The start-up check**: one PING per server, telling refused credentials from an outage.
"""

from __future__ import annotations

import abc
import time
from typing import Any

from . import envelope
from .base import BaseChannelLayer
from .membership import note_for
from .names import queue_name
from .shards import Shard

#: Seconds an interface server's claim to its reply prefix lasts unless renewed.
OWNER_TTL = 30


class RedisOwnership(BaseChannelLayer):
    """Owner marks, notes, epoch and check, for :class:`~channels.layers.redis.RedisChannelLayer`
    (which provides the shards and the encoding)."""

    prefix: str
    shards: list[Shard]
    _ttl: int

    @abc.abstractmethod
    def _shard(self, name: str) -> Shard:
        """The shard that holds queue or key ``name``."""

    @abc.abstractmethod
    def _body(self, data: bytes) -> bytes:
        """An encoded message as stored (encrypted when the layer encrypts)."""

    detects_store_loss = True

    # -- membership notes (see channels.layers.membership) --------------------------------

    def _owner_mark(self, queue: str) -> str:
        # Channel names cannot contain ':', so this never collides with a queue key.
        return f"{self.prefix}owner:{queue}"

    def own_memberships(self, prefix: str) -> None:
        super().own_memberships(prefix)
        shard = self._shard(prefix)
        with shard.reaching():
            shard.client.set(self._owner_mark(prefix), 1, ex=OWNER_TTL)

    async def aown_memberships(self, prefix: str) -> None:
        super().own_memberships(prefix)
        shard = self._shard(prefix)
        with shard.reaching():
            await shard.for_loop().plain.set(self._owner_mark(prefix), 1, ex=OWNER_TTL)

    def _note_call(self, op: str, group: str, channel: str) -> tuple[Shard, list[str], list[Any]]:
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
            with shard.reaching():
                shard.run("note", keys, args)

    async def atell_owner(self, op: str, group: str, channel: str) -> None:
        if note_for(op, group, channel) is not None:
            shard, keys, args = self._note_call(op, group, channel)
            with shard.reaching():
                await shard.arun("note", keys, args)

    # -- the store ---------------------------------------------------------------------------

    def store_epoch(self) -> Any:
        """The run ids of the shards' servers: a restarted or failed-over server has a new
        one, and a new server has lost what the old one held (no persistence assumed)."""
        epoch = []
        for shard in self.shards:
            with shard.reaching():
                epoch.append(shard.client.info("server").get("run_id"))
        return tuple(epoch)

    async def astore_epoch(self) -> Any:
        epoch = []
        for shard in self.shards:
            with shard.reaching():
                info = await shard.for_loop().plain.info("server")
            epoch.append(info.get("run_id"))
        return tuple(epoch)

    def check(self) -> None:
        for shard in self.shards:
            with shard.reaching():
                shard.client.ping()


__all__ = ["OWNER_TTL", "RedisOwnership"]
