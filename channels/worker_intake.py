"""How a worker's consumer threads share one receive: :class:`Handoff` and
:class:`ThreadTurns`.

Sixteen threads each blocked in a receive of their own cost sixteen connections and a round
trip per message, and a burst of messages could only be taken one per thread per round
trip. Instead the threads take turns (a leader and followers):

* one idle thread at a time, the **leader**, receives, asking the layer for up to one
  message for itself plus one per other idle thread (``receive_many``): several waiting
  messages come in one round trip, and never more than the free threads can start, so a
  busy worker leaves messages on the channel for another worker;
* it keeps the first message, hands the others to idle threads (the **followers**, which
  wait here rather than in the layer), and lets one of them lead the next receive while it
  runs its own message: no extra hop for the first message of a batch.

Once stopped, threads still take what was handed out before they leave: a message taken
from the layer is always run.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from django.db import connections

logger = logging.getLogger("channels.worker")

#: Longest blocking receive of a consumer thread: how soon an idle thread sees a stop.
THREAD_RECEIVE_SLICE = 1.0

#: A message taken from the layer: (channel, content).
Taken = tuple[str, dict[str, Any]]


class Handoff:
    """Turns between a worker's consumer threads (see the module docstring); thread-safe."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._handed: deque[Taken] = deque()
        self._idle = 0
        self._leading = False
        self._closed = False

    @property
    def held(self) -> int:
        """Messages handed out that no thread has picked up yet."""
        return len(self._handed)

    def take(self, timeout: float) -> Taken | int | None:
        """What a free thread does next: a message handed to it; or, when no other thread
        is receiving, how many messages it may receive (itself plus the idle threads),
        after which it must call :meth:`led`; or None after ``timeout`` seconds, or once
        closed with nothing left to hand out."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._idle += 1
            try:
                while not self._handed:
                    if not self._leading and not self._closed:
                        self._leading = True
                        return self._idle  # this thread and every follower now waiting
                    remaining = deadline - time.monotonic()
                    if self._closed or remaining <= 0:
                        return None
                    self._cond.wait(remaining)
                return self._handed.popleft()
            finally:
                self._idle -= 1

    def led(self, batch: list[Taken]) -> Taken | None:
        """The leader's received ``batch``: hands all but the first to idle threads, lets
        another thread lead, and returns the first (None for an empty batch)."""
        with self._cond:
            self._leading = False
            self._handed.extend(batch[1:])
            # One follower per handed message, and one more to lead the next receive.
            self._cond.notify(len(batch))
        return batch[0] if batch else None

    def close(self) -> None:
        """Stop: no more leaders; waiting threads leave once nothing is left to take."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class ThreadTurns:
    """The consumer threads' side of :class:`~channels.worker.Worker` (a part of it, as
    :class:`~channels.dispatch.MessageDispatch` is): taking turns, receiving, running."""

    channel_layer: Any
    termed: bool
    _handoff: Handoff
    _halt: threading.Event
    _stopping: bool
    _for_threads: list[str]
    _receive_failures: int
    _count_lock: threading.Lock
    _sync_running: int
    _loop: asyncio.AbstractEventLoop | None

    if TYPE_CHECKING:  # provided by the Worker and its MessageDispatch

        def stop(self) -> None: ...
        def _route(self, channel: str, content: dict[str, Any]) -> Any: ...
        def _is_async(self, consumer: Any) -> bool: ...
        def _run_sync(self, message: Any, consumer: Any, kwargs: dict[str, Any]) -> None: ...
        async def _run_async(self, message: Any, consumer: Any, kwargs: dict[str, Any]) -> None: ...
        def _start_async(self, message: Any, consumer: Any, kwargs: dict[str, Any]) -> None: ...

    def _thread_loop(self) -> None:
        """A consumer thread: take a turn (run a handed message, or lead the next receive),
        repeat until stopped and nothing is left to run."""
        try:
            while True:
                turn = self._handoff.take(THREAD_RECEIVE_SLICE)
                if isinstance(turn, int):
                    turn = self._handoff.led(self._lead(turn))
                elif turn is None:
                    if self._stopping:
                        break
                    continue
                if turn is not None:
                    self._run_in_thread(*turn)
        finally:
            # This thread's own database connections (Django keeps one per thread).
            connections.close_all()

    def _lead(self, count: int) -> list[tuple[str, dict[str, Any]]]:
        """The leading thread's receive: up to ``count`` messages (for itself and the idle
        threads), retried with a backoff after a failure while others wait."""
        while not self._stopping:
            if self.termed:  # once per pass, for 1.x subclasses that compute it
                self.stop()
                self._halt.wait(THREAD_RECEIVE_SLICE)  # until the loop has begun the stop
                break
            try:
                batch: list[tuple[str, dict[str, Any]]] = self.channel_layer.receive_many(
                    self._for_threads, count, block=True, timeout=THREAD_RECEIVE_SLICE
                )
            except Exception:
                self._receive_failures += 1
                delay = min(0.1 * 2**self._receive_failures, 5.0)
                logger.error("receive failed; retrying in %.1f s", delay, exc_info=True)
                self._halt.wait(delay)
                continue
            self._receive_failures = 0
            return batch
        return []

    def _run_in_thread(self, channel: str, content: dict[str, Any]) -> None:
        # Even when a stop raced with the receive: the message is ours now, run it.
        with self._count_lock:
            self._sync_running += 1
        try:
            # A fresh context per message: no consumer sees another's pending sends.
            contextvars.Context().run(self._take_in_thread, channel, content)
        finally:
            with self._count_lock:
                self._sync_running -= 1

    def _take_in_thread(self, channel: str, content: dict[str, Any]) -> None:
        found = self._route(channel, content)
        if found is None:
            return
        message, consumer, kwargs = found
        if not self._is_async(consumer):
            self._run_sync(message, consumer, kwargs)
            return
        loop = self._loop
        if loop is None:  # the loop is gone: run it here rather than lose it
            asyncio.run(self._run_async(message, consumer, kwargs))
            return
        loop.call_soon_threadsafe(self._start_async, message, consumer, kwargs)


__all__ = ["THREAD_RECEIVE_SLICE", "Handoff", "Taken", "ThreadTurns"]
