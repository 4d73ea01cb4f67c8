"""``send_group`` on a Redis Cluster: one logical group over queues in many hash slots.

On one server a single script reads a group's members and pushes to their queues. A cluster
script may only touch keys of one slot, and a group's members have queues in any slot, so a
group send is two steps:

1. ``group_members`` on the group's own key (one slot, one node): drop expired members and
   return the live ones;
2. ``group_push`` once per slot that holds a member's queue, all in one pipeline that redis-py
   splits by node and sends to every node at once: one round trip per node involved, never
   one per member.

Members under one process-specific prefix share a queue and still get one stored copy that
names them all, as on one server. Membership stays on the group's key, so
``group_add``/``group_discard``/``group_channels`` are one command on one node.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .cluster import ClusterShard, ScriptCall, key_slot


@dataclass
class _SlotPush:
    """The queues of one slot that a group send pushes to, and who is behind each."""

    keys: list[str] = field(default_factory=list)
    per_queue: list[Any] = field(default_factory=list)
    targets: list[list[bytes]] = field(default_factory=list)


def plan_pushes(
    prefix: str, members: Sequence[bytes], head: Sequence[Any]
) -> tuple[list[ScriptCall], list[list[list[bytes]]]]:
    """The ``group_push`` calls for ``members`` (the flat ``[channel, value, ...]`` reply of
    ``group_members``), one per slot, with ``head`` (header, body, now, ttl) as their first
    args; and, per call and queue, the member channels behind it."""
    queues: dict[bytes, tuple[int, list[bytes]]] = {}
    for index in range(0, len(members), 2):
        channel, value = members[index], members[index + 1]
        bang = channel.find(b"!")
        queue = channel if bang == -1 else channel[: bang + 1]
        if queue not in queues:
            queues[queue] = (int(value.split(b" ")[1]), [])
        queues[queue][1].append(channel)
    slots: dict[int, _SlotPush] = {}
    for queue, (capacity, channels) in queues.items():
        key = prefix + queue.decode("ascii")
        push = slots.setdefault(key_slot(key), _SlotPush())
        push.keys.append(key)
        # Process-specific queues carry the names the copy is for; a normal channel's
        # queue has one reader of its own name.
        push.per_queue += [capacity, b",".join(channels) if queue.endswith(b"!") else b""]
        push.targets.append(channels)
    calls: list[ScriptCall] = [
        ("group_push", push.keys, [*head, *push.per_queue]) for push in slots.values()
    ]
    return calls, [push.targets for push in slots.values()]


def tally(targets: list[list[list[bytes]]], replies: list[Any]) -> list[Any]:
    """``[members sent to, skipped channel...]`` (the shape the single-server script
    returns) from the ``group_push`` replies; the first error a call met is raised after
    all replies are read, so members on the nodes that answered still got the message."""
    sent, skipped, error = 0, list[bytes](), None
    for behind, reply in zip(targets, replies, strict=True):
        if isinstance(reply, Exception):
            error = error or reply
            continue
        for pushed, channels in zip(reply, behind, strict=True):
            if pushed:
                sent += len(channels)
            else:
                skipped.extend(channels)
    if error is not None:
        raise error
    return [sent, *skipped]


def send_group(shard: ClusterShard, key: str, args: list[Any]) -> list[Any]:
    """A group send on a cluster; ``args`` are those of the single-server ``group_send``
    script (prefix, header, body, now, cutoff, ttl)."""
    prefix, header, body, now, cutoff, ttl = args
    members = shard.run("group_members", [key], [cutoff])
    if not members:
        return [0]
    calls, targets = plan_pushes(prefix, members, [header, body, now, ttl])
    return tally(targets, shard.run_many(calls))


async def asend_group(shard: ClusterShard, key: str, args: list[Any]) -> list[Any]:
    """Async :func:`send_group`."""
    prefix, header, body, now, cutoff, ttl = args
    members = await shard.arun("group_members", [key], [cutoff])
    if not members:
        return [0]
    calls, targets = plan_pushes(prefix, members, [header, body, now, ttl])
    return tally(targets, await shard.arun_many(calls))


__all__ = ["asend_group", "plan_pushes", "send_group", "tally"]
