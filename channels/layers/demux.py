"""One receive loop per process-specific queue, shared by the coroutines waiting on it.

Every Channels 4-style consumer of a process receives on its own ``prefix!local`` channel,
but a layer stores all of a prefix's messages in one queue read through ``prefix!``. So one
waiting coroutine at a time (the *puller*) receives from the queue; a message for another
channel is set aside for it and its waiter woken. When the puller finishes or is cancelled,
every waiter is woken and one of them becomes the next puller. This serves many connections
with one blocking receive (one Redis connection), on any number of event loops and threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque

from .base import BaseChannelLayer, Message

_Waiter = tuple[asyncio.AbstractEventLoop, "asyncio.Future[None]"]


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Demultiplexer:
    """Hands the messages of the queue ``prefix`` (ending ``!``) to per-channel receives."""

    def __init__(self, layer: BaseChannelLayer, prefix: str) -> None:
        self.layer = layer
        self.prefix = prefix
        self._lock = threading.Lock()
        self._pending: dict[str, deque[tuple[float, Message]]] = {}
        self._waiters: list[_Waiter] = []
        self._pulling = False
        self._next_sweep = time.monotonic() + layer.expiry

    async def receive(self, channel: str) -> Message:
        """The next message of ``channel`` (a ``prefix!local`` name); waits for it."""
        loop = asyncio.get_running_loop()
        while True:
            future: asyncio.Future[None] | None = None
            with self._lock:
                message = self._take(channel)
                if message is not None:
                    return message
                if self._pulling:
                    future = loop.create_future()
                    waiter = (loop, future)
                    self._waiters.append(waiter)
                else:
                    self._pulling = True
            if future is not None:
                try:
                    await future
                finally:
                    with self._lock, contextlib.suppress(ValueError):
                        self._waiters.remove(waiter)
                continue
            try:
                name, received = await self.layer.areceive([self.prefix], block=True)
            except BaseException:
                self._release(None, None)
                raise
            if name == channel:
                self._release(None, None)
                assert received is not None
                return received
            self._release(name, received)

    def _take(self, channel: str) -> Message | None:
        queue = self._pending.get(channel)
        if not queue:
            return None
        _, message = queue.popleft()
        if not queue:
            del self._pending[channel]
        return message

    def _release(self, channel: str | None, message: Message | None) -> None:
        """Set aside another channel's message, stop pulling, and wake every waiter (one of
        them pulls next) — in that order, so a woken waiter finds its message."""
        with self._lock:
            now = time.monotonic()
            if channel is not None and message is not None:
                self._pending.setdefault(channel, deque()).append((now, message))
            if now >= self._next_sweep:
                self._sweep(now)
            self._pulling = False
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            # RuntimeError: that loop is closed, and its receive went with it.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_resolve, future)

    def _sweep(self, now: float) -> None:
        """Drop set-aside messages older than the layer's expiry: their consumer is gone (a
        live consumer takes its messages at once), and they would be expired anyway."""
        self._next_sweep = now + self.layer.expiry
        cutoff = now - self.layer.expiry
        for channel in list(self._pending):
            queue = self._pending[channel]
            while queue and queue[0][0] <= cutoff:
                queue.popleft()
            if not queue:
                del self._pending[channel]

    def clear(self) -> None:
        """Forget set-aside messages (after a flush)."""
        with self._lock:
            self._pending.clear()

    def pending(self) -> dict[str, int]:
        """How many set-aside messages each channel has (for inspection and tests)."""
        with self._lock:
            return {channel: len(queue) for channel, queue in self._pending.items()}

    def __repr__(self) -> str:
        return f"<Demultiplexer {self.prefix!r} of {self.layer!r}>"


__all__ = ["Demultiplexer"]
