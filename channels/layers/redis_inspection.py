"""The Redis layer's statistics and flush: how deep a queue is and how old its head, and
deleting every key under the layer's prefix, on every server (or every primary of a cluster).
"""

from __future__ import annotations

import time
from typing import Any

from . import envelope
from .names import check_receive_names, queue_name
from .ownership import RedisOwnership
from .popped import PoppedMessages


class RedisInspection(RedisOwnership):
    """Statistics and flush, for :class:`~channels.layers.redis.RedisChannelLayer`."""

    _popped: PoppedMessages

    def _match(self) -> str:
        # The prefix is literal: escape glob characters for SCAN MATCH.
        return "".join("\\" + c if c in "*?[]\\" else c for c in self.prefix) + "*"

    def flush(self) -> None:
        self._popped.clear()
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
        self._popped.clear()
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


__all__ = ["RedisInspection"]
