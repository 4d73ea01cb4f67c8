"""Where sync and async code meet: the one home of the package's bridging between them.

* :class:`LoopThread` runs coroutines on a private event loop in a daemon thread, for sync
  code that needs an async implementation (the Redis layer's multi-shard blocking receive).
* :func:`iterate_async` walks an async iterator from sync code one item at a time (a
  streaming response produced by an async generator, served by a sync worker thread).
* :func:`await_from_thread` waits, in a worker thread, for an awaitable to finish on a
  running event loop (a sync consumer that returned a coroutine).
* :func:`around` wraps a consumer, sync or ``async def``, with blocking set-up and tear-down
  (the session decorators), keeping an async consumer async.

Nothing here imports Django, so the channel layers may use it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from typing import Any, TypeVar

from asgiref.sync import iscoroutinefunction, sync_to_async

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class LoopThread:
    """An event loop of its own in a daemon thread, started on first use.

    ``run(coroutine)`` blocks the calling thread until the coroutine is done there;
    ``close(final)`` runs ``final`` (a clean-up coroutine) on the loop, stops it and joins
    the thread, waiting at most ``timeout`` seconds for each step.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._running: tuple[asyncio.AbstractEventLoop, threading.Thread] | None = None

    def _loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._running is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name=self.name, daemon=True)
                thread.start()
                self._running = (loop, thread)
            return self._running[0]

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the loop thread and return its result (or raise)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop()).result()

    def close(
        self, final: Callable[[], Coroutine[Any, Any, Any]] | None = None, timeout: float = 5.0
    ) -> None:
        """Run ``final()`` on the loop (its errors are ignored), then stop the thread."""
        with self._lock:
            running, self._running = self._running, None
        if running is None:
            return
        loop, thread = running
        if final is not None:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(final(), loop).result(timeout=timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=timeout)
        loop.close()


def iterate_async(iterator: AsyncIterator[T]) -> Iterator[T]:
    """Iterate an async iterator from sync code, one item at a time, on one event loop.

    The loop runs in this thread, or in a helper thread when this thread already runs one.
    The iterator is closed (``aclose``) when the sync iteration ends early.
    """
    loop = asyncio.new_event_loop()
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        executor = None
    else:
        executor = concurrent.futures.ThreadPoolExecutor(1, "channels-iterate")

    def run(awaitable: Awaitable[Any]) -> Any:
        if executor is None:
            return loop.run_until_complete(awaitable)
        return executor.submit(loop.run_until_complete, awaitable).result()

    try:
        while True:
            try:
                item = run(iterator.__anext__())
            except StopAsyncIteration:
                return
            yield item
    finally:
        try:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                run(aclose())
            run(loop.shutdown_asyncgens())
        finally:
            if executor is None:
                loop.close()
            else:
                executor.submit(loop.close).result()
                executor.shutdown()


def await_from_thread(awaitable: Awaitable[T], loop: asyncio.AbstractEventLoop) -> T:
    """From a thread other than ``loop``'s: await ``awaitable`` on ``loop`` and return its
    result (or raise its exception)."""

    async def wait() -> T:
        return await awaitable

    return asyncio.run_coroutine_threadsafe(wait(), loop).result()


#: ``before`` returns this to say "do not run the consumer".
SKIP = object()


def around(
    func: F,
    find: Callable[[tuple[Any, ...]], Any],
    before: Callable[[Any], Any],
    after: Callable[[Any, Any, BaseException | None], None] | None = None,
) -> F:
    """Wrap ``func``: ``subject = find(args)``, ``state = before(subject)``; unless that is
    :data:`SKIP`, call ``func``, then ``after(subject, state, error)`` (also when it raised).

    ``before`` and ``after`` may block (session and database I/O); for an ``async def``
    ``func`` they run through ``sync_to_async`` and the wrapper is ``async def`` too, so it
    still runs on the event loop.
    """
    if iscoroutinefunction(func):

        @functools.wraps(func)
        async def async_inner(*args: Any, **kwargs: Any) -> Any:
            subject = find(args)
            state = await sync_to_async(before)(subject)
            if state is SKIP:
                return None
            try:
                result = await func(*args, **kwargs)
            except BaseException as exc:
                if after is not None:
                    await sync_to_async(after)(subject, state, exc)
                raise
            if after is not None:
                await sync_to_async(after)(subject, state, None)
            return result

        return async_inner  # type: ignore[return-value]

    @functools.wraps(func)
    def inner(*args: Any, **kwargs: Any) -> Any:
        subject = find(args)
        state = before(subject)
        if state is SKIP:
            return None
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            if after is not None:
                after(subject, state, exc)
            raise
        if after is not None:
            after(subject, state, None)
        return result

    return inner  # type: ignore[return-value]


__all__ = ["SKIP", "LoopThread", "around", "await_from_thread", "iterate_async"]
