"""One receive loop per process-specific queue, shared by the coroutines waiting on it.

Every Channels 4-style consumer of a process receives on its own ``prefix!local`` channel,
but a layer stores all of a prefix's messages in one queue read through ``prefix!``. So one
waiting coroutine at a time (the *puller*) receives from the queue; a message for another
channel is set aside for it and that channel's waiters are woken. When the puller finishes
or is cancelled, one other waiter is woken to pull next; so each message wakes its own
receivers plus at most one, however many connections wait. This serves many connections
with one blocking receive (one Redis connection), on any number of event loops and threads.

With the layer's ``on_disconnect`` / ``on_reconnect`` set (``channels_redis``'s pub/sub
options), every channel being received on here gets a ``{"type": on_disconnect}`` message when
the layer's receives lose the store and ``{"type": on_reconnect}`` when they reach it again,
so a consumer can resynchronise what it may have missed. The puller then receives in short
slices, so that its own channel's notice does not wait for the store to come back.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque

from .base import BaseChannelLayer, Message

_Waiter = tuple[asyncio.AbstractEventLoop, "asyncio.Future[None]"]

#: With outage notices, the longest (seconds) the puller's own notice can wait.
NOTICE_SLICE = 0.5


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _wake(waiters: list[_Waiter]) -> None:
    for loop, future in waiters:
        # RuntimeError: that loop is closed, and its receive went with it.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_resolve, future)


class Demultiplexer:
    """Hands the messages of the queue ``prefix`` (ending ``!``) to per-channel receives."""

    def __init__(self, layer: BaseChannelLayer, prefix: str) -> None:
        self.layer = layer
        self.prefix = prefix
        self._lock = threading.Lock()
        self._pending: dict[str, deque[tuple[float, Message]]] = {}
        # Waiting receives by channel: a message wakes its own channel's waiters only.
        self._waiters: dict[str, list[_Waiter]] = {}
        self._pulling = False
        self._puller_loop: asyncio.AbstractEventLoop | None = None
        self._next_sweep = time.monotonic() + layer.expiry
        # Outage notices: the channels that receive here (until their receive is cancelled,
        # as a consumer's is when it ends), and the puller's slice.
        self._notices = bool(layer.on_disconnect or layer.on_reconnect)
        self._live: set[str] = set()
        self._slice: float | None = NOTICE_SLICE if self._notices else None
        if self._notices:
            layer.watch_outages(self._outage)

    async def receive(self, channel: str) -> Message:
        """The next message of ``channel`` (a ``prefix!local`` name); waits for it."""
        loop = asyncio.get_running_loop()
        if self._notices:
            try:
                with self._lock:
                    self._live.add(channel)
                return await self._receive(channel, loop)
            except asyncio.CancelledError:
                with self._lock:
                    self._live.discard(channel)
                raise
        return await self._receive(channel, loop)

    async def _receive(self, channel: str, loop: asyncio.AbstractEventLoop) -> Message:
        while True:
            waiter: _Waiter | None = None
            with self._lock:
                message = self._take(channel)
                if message is not None:
                    return message
                if self._pulling and not self._puller_gone():
                    waiter = (loop, loop.create_future())
                    self._waiters.setdefault(channel, []).append(waiter)
                else:
                    self._pulling = True
                    self._puller_loop = loop
            if waiter is not None:
                await self._wait(channel, waiter)
                continue
            try:
                name, received = await self.layer.areceive(
                    [self.prefix], block=True, timeout=self._slice
                )
            except BaseException:
                self._release(None, None)
                raise
            if name == channel:
                self._release(None, None)
                assert received is not None
                return received
            self._release(name, received)

    async def _wait(self, channel: str, waiter: _Waiter) -> None:
        try:
            await waiter[1]
        except BaseException:
            with self._lock:
                waiting = self._waiters.get(channel, [])
                if waiter in waiting:
                    waiting.remove(waiter)
                    if not waiting:
                        del self._waiters[channel]
                # Perhaps woken to pull next, and cancelled before it could: pass that on.
                successor = None if self._pulling else self._successor(None)
            if successor is not None:
                _wake([successor])
            raise

    def _take(self, channel: str) -> Message | None:
        queue = self._pending.get(channel)
        if not queue:
            return None
        _, message = queue.popleft()
        if not queue:
            del self._pending[channel]
        return message

    def _puller_gone(self) -> bool:
        """True when the pulling receive's event loop was closed under it (a test's loop
        ending with a receive pending): its turn is free (lock held)."""
        return self._puller_loop is not None and self._puller_loop.is_closed()

    def _successor(self, besides: str | None) -> _Waiter | None:
        """Take one live waiter (of a channel other than ``besides``) to pull next, dropping
        waiters whose event loop is closed (lock held)."""
        for channel in list(self._waiters):
            if channel == besides:
                continue
            waiting = self._waiters[channel]
            while waiting:
                waiter = waiting.pop(0)
                if not waiter[0].is_closed():
                    break
            else:
                waiter = None
            if not waiting:
                del self._waiters[channel]
            if waiter is not None:
                return waiter
        return None

    def _release(self, channel: str | None, message: Message | None) -> None:
        """Set another channel's message aside and wake its waiters, stop pulling, and wake
        one other waiter to pull next — under the lock, so a woken waiter finds its
        message and exactly one successor is chosen."""
        with self._lock:
            now = time.monotonic()
            woken: list[_Waiter] = []
            if channel is not None and message is not None:
                self._pending.setdefault(channel, deque()).append((now, message))
                woken.extend(self._waiters.pop(channel, []))
            if now >= self._next_sweep:
                self._sweep(now)
            self._pulling = False
            # With several receives on ``channel``, those left without its message pull.
            successor = self._successor(channel)
            if successor is not None:
                woken.append(successor)
        _wake(woken)

    def _outage(self, server: str, reachable: bool) -> None:
        """The layer's receives lost ``server`` (or reached it again): tell every channel
        receiving here, in order with its other messages."""
        kind = self.layer.on_reconnect if reachable else self.layer.on_disconnect
        if not kind:
            return
        woken: list[_Waiter] = []
        with self._lock:
            now = time.monotonic()
            for channel in self._live:
                self._pending.setdefault(channel, deque()).append((now, {"type": kind}))
                woken.extend(self._waiters.pop(channel, []))
        _wake(woken)

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
                # Nobody took its messages for so long: it no longer receives here.
                self._live.discard(channel)

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
