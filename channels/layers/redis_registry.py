"""The process registry (:mod:`channels.layers.registry`) on Redis.

Keys, all under the layer's prefix on its first shard (a colon never appears in a channel
name, so none of them can be a queue):

``ops:processes``     sorted set: process id -> Unix time of its last beat
``ops:process:<id>``  the record as JSON, expiring ``ttl`` after its last beat
``ops:counts``        hash: ``"<counter> <queue>"`` -> count, summed over every process

A beat is one pipelined round trip; every key expires, so a stopped deployment leaves
nothing behind.
"""

from __future__ import annotations

import contextlib
import json
import time
from typing import TYPE_CHECKING, Any

from .registry import (
    ProcessRecord,
    ProcessRegistry,
    counts_fields,
    fields_counts,
    ttl_millis,
    with_state,
)
from .tally import ChannelCounts

if TYPE_CHECKING:
    from .cluster import LayerShard


class RedisRegistry(ProcessRegistry):
    """Mixed into :class:`~channels.layers.redis.RedisChannelLayer`."""

    if TYPE_CHECKING:
        prefix: str

        @property
        def shards(self) -> list[LayerShard]: ...

        def _reaching(self, shard: Any) -> contextlib.AbstractContextManager[None]: ...

        def _match(self) -> str: ...

    def _ops_key(self, name: str) -> str:
        return f"{self.prefix}ops:{name}"

    def publish_process(self, record: ProcessRecord, ttl: float, counts: ChannelCounts) -> None:
        shard = self.shards[0]
        millis = ttl_millis(ttl)
        processes, counters = self._ops_key("processes"), self._ops_key("counts")
        with self._reaching(shard):
            pipe = shard.client.pipeline(transaction=False)
            pipe.set(self._ops_key(f"process:{record['id']}"), _dump(record, ttl), px=millis)
            pipe.zadd(processes, {record["id"]: time.time()})
            pipe.pexpire(processes, millis)
            for field, amount in counts_fields(counts).items():
                pipe.hincrby(counters, field, amount)
            # Renewed by every beat of any process: lapses once the last one stopped.
            pipe.pexpire(counters, millis)
            pipe.execute()

    def withdraw_process(self, process_id: str) -> None:
        shard = self.shards[0]
        with self._reaching(shard):
            pipe = shard.client.pipeline(transaction=False)
            pipe.delete(self._ops_key(f"process:{process_id}"))
            pipe.zrem(self._ops_key("processes"), process_id)
            pipe.execute()

    def processes(self) -> list[ProcessRecord]:
        shard = self.shards[0]
        processes = self._ops_key("processes")
        with self._reaching(shard):
            ids = [raw.decode("utf-8") for raw in shard.client.zrange(processes, 0, -1)]
            if not ids:
                return []
            pipe = shard.client.pipeline(transaction=False)
            for process_id in ids:
                key = self._ops_key(f"process:{process_id}")
                pipe.get(key).pttl(key)
            replies = pipe.execute()
            records, forgotten = [], []
            for index, process_id in enumerate(ids):
                raw, remaining = replies[2 * index], replies[2 * index + 1]
                if raw is None or remaining < 0:
                    forgotten.append(process_id)
                    continue
                stored = json.loads(raw)
                records.append(with_state(stored, float(stored["ttl"]), remaining / 1000))
            if forgotten:
                shard.client.zrem(processes, *forgotten)
        return sorted(records, key=lambda record: (record["started"], record["id"]))

    def deployment_counts(self) -> ChannelCounts:
        shard = self.shards[0]
        with self._reaching(shard):
            raw = shard.client.hgetall(self._ops_key("counts"))
        return fields_counts({field.decode("ascii"): int(n) for field, n in raw.items()})

    def _scan(self, pattern: str) -> list[str]:
        """Every key name (prefix removed) matching ``pattern`` (a glob after the prefix)."""
        match = self._match()[:-1] + pattern
        names: set[str] = set()
        for shard in self.shards:
            with self._reaching(shard):
                for key in shard.client.scan_iter(match=match, count=1000):
                    names.add(key.decode("ascii")[len(self.prefix) :])
        return sorted(names)

    def queue_names(self) -> list[str]:
        return [name for name in self._scan("*") if ":" not in name]

    def group_names(self) -> list[str]:
        return [name[len("group:") :] for name in self._scan("group:*")]


def _dump(record: ProcessRecord, ttl: float) -> str:
    return json.dumps({**record, "ttl": ttl}, separators=(",", ":"))


__all__ = ["RedisRegistry"]
