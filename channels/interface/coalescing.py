"""Sends made by several connections in one turn of the event loop, in one batch.

When many sockets are active, the server reads several of them in one turn of its event
loop, and each turns a frame into a ``websocket.receive`` send. :class:`SendCoalescer`
collects the sends of a turn and makes them with one
:meth:`~channels.layers.base.BaseChannelLayer.asend_many` (one round trip per Redis server)
at the end of that turn. A lone send waits for nothing but the end of its own turn.

Each sender still gets its own outcome: None, or the exception a single send would have
raised (``ChannelFull`` for its full channel; the layer's error when it is unreachable).
One sender's invalid message (too large, say) makes ``asend_many`` refuse the whole batch,
so then each message is sent on its own, and only that sender sees the error.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..exceptions import MessageTooLarge
from ..layers.base import BaseChannelLayer, Message


class SendCoalescer:
    """One event loop's batched sends to one layer (create it on that loop)."""

    __slots__ = ("_futures", "_items", "_loop", "_tasks", "layer")

    def __init__(self, layer: BaseChannelLayer) -> None:
        self.layer = layer
        self._loop = asyncio.get_running_loop()
        self._items: list[tuple[str, Message]] = []
        self._futures: list[asyncio.Future[None]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def send(self, channel: str, message: Message) -> None:
        """Send ``message`` to ``channel`` with the other sends of this turn; raises what
        :meth:`~channels.layers.base.BaseChannelLayer.asend` would."""
        future: asyncio.Future[None] = self._loop.create_future()
        if not self._items:
            # After the callbacks already due this turn: the other sockets' reads.
            self._loop.call_soon(self._flush)
        self._items.append((channel, message))
        self._futures.append(future)
        await future

    def _flush(self) -> None:
        items, futures = self._items, self._futures
        self._items, self._futures = [], []
        task = self._loop.create_task(self._send(items, futures))
        self._tasks.add(task)  # referenced until done
        task.add_done_callback(self._tasks.discard)

    async def _send(self, items: list[tuple[str, Message]], futures: list[Any]) -> None:
        results: list[Any]
        try:
            if len(items) == 1:
                await self.layer.asend(*items[0])
                results = [None]
            else:
                results = list(await self.layer.asend_many(items))
        except Exception as exc:
            if len(items) > 1 and isinstance(exc, _INVALID):
                # One invalid message refused the batch: each on its own, for its outcome.
                alone = zip(items, futures, strict=True)
                await asyncio.gather(*(self._send([item], [future]) for item, future in alone))
                return
            results = [exc] * len(items)  # or the layer failed: every sender hears it
        for future, result in zip(futures, results, strict=True):
            if future.done():  # its sender was cancelled
                continue
            if result is None:
                future.set_result(None)
            else:
                future.set_exception(result)


#: What ``asend_many`` raises, before sending anything, for one invalid item.
_INVALID = (TypeError, ValueError, MessageTooLarge)

__all__ = ["SendCoalescer"]
