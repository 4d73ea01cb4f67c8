"""The worker: receives messages from every routed channel and runs their consumers.

* **Sync consumers** run on ``threads`` threads, which take turns to receive (no polling)
  on the channels that can reach a sync consumer: one idle thread at a time asks the layer
  for up to one message per idle thread, hands all but the first to idle threads, and runs
  the first itself (see :mod:`channels.worker_intake`).
* **``async def`` consumers** run as tasks on the worker's event loop (the thread that calls
  :meth:`Worker.run`), at most ``max_concurrency`` at once. The loop receives on the channels
  whose consumers are all async; a thread that takes a message for an async consumer (a
  channel with both kinds of route) hands it to the loop.

**Taking only what it can start.** The threads receive only as many messages as are idle,
and the loop as many as it has free slots, so a message this worker cannot start at once
stays on its channel for another worker, and async work keeps flowing while every thread is
busy. Several waiting messages come in one round trip (``receive_many``).

**Shutdown.** :meth:`stop` or ``worker.termed = True`` (any thread), or SIGTERM/SIGINT (when
:meth:`run` is on the main thread and ``signal_handlers`` is true) stop receiving, wait up to
``shutdown_timeout`` seconds for consumers in flight, then return. A second signal exits the
process at once. Consumer threads are daemon threads: a process that exits does not wait for
them.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import fnmatch
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from .dispatch import MessageDispatch
from .layers.names import check_receive_names
from .message import Message
from .reactions import Reactions, describe  # noqa: F401 - describe: importable here as before
from .routing import is_async_consumer
from .signals import worker_ready
from .worker_intake import THREAD_RECEIVE_SLICE, Handoff, ThreadTurns
from .worker_meter import WorkerMeter

logger = logging.getLogger("channels.worker")

#: Consumer threads of a worker unless told otherwise (``runworker --threads``). Django views
#: mostly wait on I/O (database, cache, APIs): a thread waiting 50 ms serves 20 requests a
#: second, so one thread made a worker serve 20. Sixteen let the documented deployment (two
#: workers) keep 32 such requests in flight, as many as 32 busy connections send; an idle
#: thread only waits in its blocking receive. Each thread may hold a database connection (see
#: docs/workers.rst, "Threads").
DEFAULT_THREADS = 16


class Worker(ThreadTurns, MessageDispatch):
    """Runs consumers for the messages of ``channel_layer`` (a wrapper from
    :data:`channels.asgi.channel_layers`, which carries the router).

    ``callback(channel, message)`` is called for each routed message before its consumer
    starts. What a consumer's exception leads to is the policy of :mod:`channels.reactions`
    (``ConsumeLater`` puts a message back at most ``message_retries`` times).
    """

    def __init__(
        self,
        channel_layer: Any = None,
        *,
        threads: int = DEFAULT_THREADS,
        max_concurrency: int = 100,
        only_channels: Iterable[str] | None = None,
        exclude_channels: Iterable[str] | None = None,
        callback: Callable[[str, Message], Any] | None = None,
        message_retries: int = 10,
        signal_handlers: bool = True,
        shutdown_timeout: float = 30.0,
    ) -> None:
        if channel_layer is None:
            from .asgi import channel_layers

            channel_layer = channel_layers["default"]
        if not hasattr(channel_layer, "router"):
            raise TypeError(
                f"Worker needs a layer with a router, got {channel_layer!r}; pass "
                "channels.asgi.channel_layers[alias] (it carries the ROUTING)"
            )
        for name, value in (("threads", threads), ("max_concurrency", max_concurrency)):
            if type(value) is not int or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.channel_layer = channel_layer
        self.router = channel_layer.router
        if not self.router.defaults:
            self.router.check_default()
        self.threads = threads
        self.max_concurrency = max_concurrency
        self.only_channels = list(only_channels or [])
        self.exclude_channels = list(exclude_channels or [])
        self.callback = callback
        self.message_retries = message_retries
        self.reactions = Reactions(channel_layer, message_retries)
        self.signal_handlers = signal_handlers
        self.shutdown_timeout = shutdown_timeout
        self._termed = False
        #: True once the worker was asked to stop (see :attr:`termed`).
        self.termed = False
        #: Consumers still running when ``shutdown_timeout`` ran out.
        self.abandoned = 0
        #: ``http.request`` messages dropped unrun because their deadline had passed.
        self.dropped_late = 0
        self._ready_sent = False
        self._stop_asked = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._async_active = 0
        self._sync_running = 0
        self._count_lock = threading.Lock()
        self._halt = threading.Event()  # set on stop: wakes threads pausing after an error
        self._consumer_threads: list[threading.Thread] = []
        self._handoff = Handoff()
        self._receive_failures = 0  # of the leading thread's receives in a row
        self._in_flight: set[asyncio.Future[Any]] = set()
        self._async_kind: dict[int, tuple[Any, bool]] = {}
        #: Per-channel counts of what this worker ran (reported by runworker).
        self.meter = WorkerMeter()

    # -- what to listen on ------------------------------------------------------------------

    def apply_channel_filters(self, channels: Iterable[str]) -> list[str]:
        """Keep names matching any ``only_channels`` glob, then drop those matching any
        ``exclude_channels`` glob (case-sensitive); the input order is kept."""
        names = list(channels)
        if self.only_channels:
            names = [n for n in names if any(fnmatch.fnmatchcase(n, g) for g in self.only_channels)]
        return [
            n for n in names if not any(fnmatch.fnmatchcase(n, g) for g in self.exclude_channels)
        ]

    def listen_channels(self) -> list[str]:
        """The channels this worker receives on; raises ``ValueError`` if there are none."""
        names = self.apply_channel_filters(sorted(self.router.channels))
        if not names:
            raise ValueError(
                f"no channels to listen on: the routing has {sorted(self.router.channels)!r}, "
                f"only_channels={self.only_channels!r}, exclude_channels="
                f"{self.exclude_channels!r}"
            )
        return check_receive_names(names)

    @property
    def termed(self) -> bool:
        """True once the worker was asked to stop. Setting it to True stops the worker, as
        :meth:`stop` does (the 1.x way to stop a worker from code). :meth:`run` reads it
        once per pass of each receive loop, so a 1.x subclass that computes it (a property
        counting passes) stops the worker when it turns true."""
        return self._termed

    @termed.setter
    def termed(self, value: bool) -> None:
        self._termed = bool(value)
        if value:
            self.stop()

    @property
    def in_job(self) -> bool:
        """True while a consumer is running."""
        return bool(self._in_flight) or self._sync_running > 0 or self._handoff.held > 0

    # -- running and stopping ---------------------------------------------------------------

    def ready(self) -> None:
        """Send ``worker_ready`` (once); :meth:`run` calls it if you did not."""
        if not self._ready_sent:
            self._ready_sent = True
            worker_ready.send(sender=self)

    def run(self) -> None:
        """Receive and run consumers until stopped; returns after the shutdown."""
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self.arun())
        finally:
            try:
                leftover = [task for task in asyncio.all_tasks(loop) if not task.done()]
                for task in leftover:
                    task.cancel()
                if leftover:
                    loop.run_until_complete(asyncio.wait(leftover, timeout=1.0))
                loop.run_until_complete(loop.shutdown_asyncgens())
                if not self.abandoned:
                    # With abandoned consumers a default-executor thread may never end:
                    # waiting for it would turn the bounded shutdown into an unbounded one.
                    loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                loop.close()

    def stop(self) -> None:
        """Ask the worker to stop, from any thread; :meth:`run` returns once in-flight
        consumers finished (or ``shutdown_timeout`` ran out)."""
        self._stop_asked = True
        loop = self._loop
        if loop is not None:
            # RuntimeError: the loop already closed, nothing left to stop.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._begin_stop)

    async def arun(self) -> None:
        """:meth:`run` for a caller that already has an event loop (the worker then shares
        it; signal handlers are not installed)."""
        channels = self.listen_channels()
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._stopping = False
        self._stop_event = asyncio.Event()
        self._slot_freed = asyncio.Event()
        self._handoff = Handoff()
        self._split_by_kind(channels)
        installed = self._install_signal_handlers(loop)
        try:
            if self._stop_asked:  # stop() came before the loop existed
                self._begin_stop()
            self.ready()
            logger.info(
                "worker listening on %s (%d thread(s), %d async slot(s))",
                ", ".join(channels),
                self.threads,
                self.max_concurrency,
            )
            if self._for_threads:
                self._consumer_threads = [
                    threading.Thread(
                        target=self._thread_loop, name=f"channels-worker_{n}", daemon=True
                    )
                    for n in range(self.threads)
                ]
                for thread in self._consumer_threads:
                    thread.start()
            if self._async_only:
                await self._receive_loop(self._async_only)
            else:
                await self._stop_event.wait()
            await self._drain()
        finally:
            for signum in installed:
                loop.remove_signal_handler(signum)
            self._loop = None

    def _install_signal_handlers(self, loop: asyncio.AbstractEventLoop) -> list[int]:
        if not self.signal_handlers or threading.current_thread() is not threading.main_thread():
            return []
        installed: list[int] = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(signum, self._on_signal, signum)
            except (NotImplementedError, RuntimeError):  # Windows, or a non-main loop
                continue
            installed.append(signum)
        return installed

    def _on_signal(self, signum: int) -> None:
        name = signal.Signals(signum).name
        if self._stopping:
            logger.warning("%s again: exiting now, abandoning running consumers", name)
            logging.shutdown()
            os._exit(128 + signum)
        logger.info(
            "%s: finishing %d consumer(s) in flight, then exiting",
            name,
            len(self._in_flight) + self._sync_running,
        )
        self._begin_stop()

    def _begin_stop(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        self._termed = True
        self._halt.set()
        self._handoff.close()
        self._stop_event.set()
        self._slot_freed.set()

    def _split_by_kind(self, channels: list[str]) -> None:
        """The loop receives on channels that only reach async consumers; the threads on
        every other channel (a channel with both kinds of route included)."""
        kinds = {
            name: {None if c is None else self._is_async(c) for c in consumers}
            for name, consumers in self.router.consumers_by_channel().items()
        }
        self._async_only = [name for name in channels if kinds.get(name) == {True}]
        self._for_threads = [name for name in channels if name not in self._async_only]

    async def _receive_loop(self, channels: list[str]) -> None:
        """The loop's receive, on the async-only channels: up to as many messages as it
        has free slots, while it has one."""
        failures = 0
        while not self._stopping:
            if self.termed:  # once per pass, for 1.x subclasses that compute it
                self._begin_stop()
                break
            free = self.max_concurrency - self._async_active
            if free <= 0:
                self._slot_freed.clear()
                await self._slot_freed.wait()
                continue
            try:
                # In slices, never cancelled: a batch Redis handed over as the stop came is
                # still run (a cancelled receive would keep it in this process, which exits).
                batch = await self.channel_layer.areceive_many(
                    channels, free, block=True, timeout=THREAD_RECEIVE_SLICE
                )
            except Exception:
                failures += 1
                delay = min(0.1 * 2**failures, 5.0)
                logger.error("receive failed; retrying in %.1f s", delay, exc_info=True)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._stop_event.wait(), delay)
                continue
            failures = 0
            for channel, content in batch:
                found = self._route(channel, content)
                if found is not None:
                    self._start_async(*found)

    async def _drain(self) -> None:
        busy = len(self._in_flight) + self._sync_running
        if busy:
            logger.info("waiting up to %s s for %d consumer(s)", self.shutdown_timeout, busy)
        deadline = time.monotonic() + self.shutdown_timeout
        for thread in self._consumer_threads:
            # An idle thread sees the stop within THREAD_RECEIVE_SLICE.
            await asyncio.to_thread(thread.join, max(0.0, deadline - time.monotonic()))
        unfinished: set[asyncio.Future[Any]] = set()
        if self._in_flight:
            remaining = max(0.0, deadline - time.monotonic())
            _, unfinished = await asyncio.wait(set(self._in_flight), timeout=remaining)
        # Busy threads only: an idle one still in its receive slice leaves by itself.
        self.abandoned = len(unfinished) + self._sync_running
        if self.abandoned:
            logger.warning(
                "%d consumer(s) still running after %s s; abandoning them",
                self.abandoned,
                self.shutdown_timeout,
            )
            for future in unfinished:
                future.cancel()

    # -- dispatch ---------------------------------------------------------------------------

    def _is_async(self, consumer: Any) -> bool:
        cached = self._async_kind.get(id(consumer))
        if cached is None or cached[0] is not consumer:
            cached = self._async_kind[id(consumer)] = (consumer, is_async_consumer(consumer))
        return cached[1]

    def _start_async(self, message: Message, consumer: Any, kwargs: dict[str, Any]) -> None:
        """On the loop: run a consumer as a task (an async one; or, if a channel thought
        async-only routed to a sync consumer after all, in a thread)."""
        assert self._loop is not None
        self._async_active += 1
        if self._is_async(consumer):
            task: asyncio.Future[Any] = self._loop.create_task(
                self._run_async(message, consumer, kwargs)
            )
        else:
            context = contextvars.Context()
            task = asyncio.ensure_future(
                asyncio.to_thread(context.run, self._run_sync, message, consumer, kwargs)
            )
        task.add_done_callback(self._async_done)
        self._in_flight.add(task)

    def _async_done(self, future: asyncio.Future[Any]) -> None:
        self._async_active -= 1
        self._finished(future)

    def _finished(self, future: asyncio.Future[Any]) -> None:
        self._in_flight.discard(future)
        self._slot_freed.set()
        if not future.cancelled() and future.exception() is not None:
            logger.error("consumer run failed", exc_info=future.exception())


__all__ = ["DEFAULT_THREADS", "THREAD_RECEIVE_SLICE", "Worker"]
