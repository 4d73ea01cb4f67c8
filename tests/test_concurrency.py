"""Where sync and async code meet (channels.concurrency)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest

from channels.concurrency import SKIP, LoopThread, around, await_from_thread, iterate_async


def test_a_loop_thread_runs_coroutines_from_sync_code_and_stops() -> None:
    portal = LoopThread("test-portal")

    async def where() -> str:
        await asyncio.sleep(0)
        return threading.current_thread().name

    assert portal.run(where()) == "test-portal"
    assert portal.run(where()) == "test-portal"  # the same thread again
    cleaned = []

    async def final() -> None:
        cleaned.append(True)

    portal.close(final, timeout=5)
    assert cleaned == [True]
    assert not any(t.name == "test-portal" for t in threading.enumerate())
    portal.close()  # closing twice is harmless


def test_a_loop_thread_raises_what_the_coroutine_raised() -> None:
    portal = LoopThread("test-portal-errors")

    async def fail() -> None:
        raise KeyError("nope")

    try:
        with pytest.raises(KeyError, match="nope"):
            portal.run(fail())
    finally:
        portal.close()


async def numbers(closed: list[bool]) -> AsyncIterator[int]:
    try:
        for n in range(3):
            await asyncio.sleep(0)
            yield n
    finally:
        closed.append(True)


def test_iterate_async_walks_an_async_iterator_from_sync_code() -> None:
    closed: list[bool] = []
    assert list(iterate_async(numbers(closed))) == [0, 1, 2]
    assert closed == [True]


def test_iterate_async_closes_the_iterator_when_the_caller_stops_early() -> None:
    closed: list[bool] = []
    walked = iterate_async(numbers(closed))
    assert next(walked) == 0
    walked.close()
    assert closed == [True]


async def test_iterate_async_works_inside_a_running_loop() -> None:
    closed: list[bool] = []
    result = await asyncio.to_thread(lambda: list(iterate_async(numbers(closed))))
    assert result == [0, 1, 2]
    assert list(iterate_async(numbers(closed))) == [0, 1, 2]  # this thread runs a loop


async def test_await_from_thread_runs_the_awaitable_on_the_loop() -> None:
    loop = asyncio.get_running_loop()

    async def on_loop() -> bool:
        return asyncio.get_running_loop() is loop

    assert await asyncio.to_thread(await_from_thread, on_loop(), loop) is True


def _recorder() -> tuple[list[Any], Any, Any]:
    seen: list[Any] = []

    def before(subject: Any) -> Any:
        seen.append(("before", subject))
        return SKIP if subject == "skip" else "state"

    def after(subject: Any, state: Any, error: BaseException | None) -> None:
        seen.append(("after", subject, state, type(error).__name__ if error else None))

    return seen, before, after


def test_around_wraps_a_sync_function() -> None:
    seen, before, after = _recorder()
    wrapped = around(lambda subject: subject.upper(), lambda args: args[0], before, after)
    assert wrapped("x") == "X"
    assert wrapped("skip") is None
    assert seen == [("before", "x"), ("after", "x", "state", None), ("before", "skip")]


async def test_around_keeps_an_async_function_async_and_reports_its_error() -> None:
    seen, before, after = _recorder()

    async def consumer(subject: str) -> str:
        raise RuntimeError(subject)

    wrapped = around(consumer, lambda args: args[0], before, after)
    assert asyncio.iscoroutinefunction(wrapped)
    with pytest.raises(RuntimeError):
        await wrapped("y")
    assert seen == [("before", "y"), ("after", "y", "state", "RuntimeError")]
