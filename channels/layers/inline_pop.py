"""A blocking pop run in the receiving coroutine itself, without a task, and still
cancel-safe.

redis-py disconnects a connection whose read is cancelled, and so loses a reply Redis may
already have sent: a message popped but never delivered. That is why a receive used to run
each blocking pop as a task of its own, left running (an orphan, see
:class:`~channels.layers.popped.OrphanedPops`) when the receive was cancelled. A task per
pop costs a task, a wait on it and extra turns of the event loop on every message.

Here the pop's command is sent and its reply read on a connection of the pop pool, in the
caller's coroutine, with ``disconnect_on_error=False``: a cancelled read leaves the
connection, and the reply on its way, intact (the reply parsers resume where a cancelled
read stopped). Only then does a task appear: it finishes the read, and is handed to
:class:`OrphanedPops` so that the next receive on the same keys adopts it, or whatever it
popped is kept for the next receive. Only a receive that is cancelled pays for a task.
"""

from __future__ import annotations

import asyncio
from typing import Any

from .cluster import LayerShard
from .popped import OrphanedPops, PopKey, Popped, pop_command, popped_reply, refused_bulk
from .shards import redis


def can_pop_inline(shard: LayerShard) -> bool:
    """True when the shard's pop client is a plain server's (or a Sentinel master's), whose
    pool lends connections; cluster clients route commands themselves."""
    return isinstance(shard.for_loop().blocking, redis.asyncio.Redis)


async def inline_pop(
    shard: LayerShard,
    keys: list[str],
    timeout: float,
    orphans: OrphanedPops,
    ident: PopKey,
    count: int = 1,
) -> Popped:
    """One blocking pop of up to ``count`` elements of ``keys`` (see
    :func:`~channels.layers.popped.pop_command`): ``(key, elements)`` or None on timeout.
    Cancelled while waiting, it leaves a task reading the reply, orphaned under ``ident``.
    Connection errors propagate."""
    command, bulk = pop_command(shard, keys, timeout, count)
    pool = shard.for_loop().blocking.connection_pool
    connection = await pool.get_connection()
    try:
        # A cancel can only land here before the command is written (the health check or a
        # reconnect): redis-py then drops the connection, and nothing was popped.
        await connection.send_command(*command)
    except BaseException:
        await pool.release(connection)
        raise
    try:
        reply = await connection.read_response(disconnect_on_error=False)
    except asyncio.CancelledError:
        orphans.orphan(ident, asyncio.get_running_loop().create_task(_finish(connection, pool)))
        raise
    except redis.exceptions.ResponseError as exc:
        await pool.release(connection)  # an error reply: the connection is still in step
        if refused_bulk(shard, bulk, exc):
            return await inline_pop(shard, keys, timeout, orphans, ident, count)
        raise
    except BaseException:
        await connection.disconnect(nowait=True)
        await pool.release(connection)
        raise
    await pool.release(connection)
    return popped_reply(reply, bulk)


async def _finish(connection: Any, pool: Any) -> Popped:
    """The rest of a cancelled pop: read its reply, then give the connection back."""
    try:
        reply = await connection.read_response()
    finally:
        await pool.release(connection)
    # The reply says which command it answers: BLMPOP's elements come as a list.
    return popped_reply(reply, bulk=reply is not None and isinstance(reply[1], list))


__all__ = ["can_pop_inline", "inline_pop"]
