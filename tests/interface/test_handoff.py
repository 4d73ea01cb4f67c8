"""The bridge's shared machinery, on a real event loop: one line of deadlines per timeout
(channels.interface.deadlines) and the ordered, eager hand-off to a connection
(channels.interface.handoff)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest

from channels.interface.deadlines import TIMED_OUT, Deadlines
from channels.interface.handoff import Handoff, start_eagerly

#: Longest any wait in these tests may take.
DEADLINE = 5.0


class Timed:
    """A waiter that records when its deadline was delivered."""

    def __init__(self, name: str, log: list[tuple[str, float]], done: asyncio.Event) -> None:
        self.name = name
        self.log = log
        self.done = done

    def deliver(self, item: Any) -> None:
        assert item is TIMED_OUT
        self.log.append((self.name, time.monotonic()))
        self.done.set()


async def test_deadlines_fire_in_order_at_their_time_skipping_cancelled_and_rearmed() -> None:
    log: list[tuple[str, float]] = []
    last = asyncio.Event()
    deadlines = Deadlines(0.2)
    first, cancelled, rearmed = (Timed(n, log, asyncio.Event()) for n in "abc")
    final = Timed("d", log, last)
    started = time.monotonic()
    deadlines.arm(first)
    deadlines.arm(cancelled)
    deadlines.arm(rearmed)
    await asyncio.sleep(0.1)
    deadlines.cancel(cancelled)
    deadlines.arm(rearmed)  # waits again: due 0.2 s from now, behind the others
    deadlines.arm(final)
    await asyncio.wait_for(last.wait(), DEADLINE)
    await asyncio.wait_for(rearmed.done.wait(), DEADLINE)

    # c went to the back of the line when it waited again, just before d joined it.
    assert [name for name, _ in log] == ["a", "c", "d"]
    at = {name: when - started for name, when in log}
    assert 0.19 <= at["a"] < 0.2 + 1.0
    assert 0.29 <= at["c"] < 0.3 + 1.0, "a re-armed wait starts over"
    assert "b" not in at
    assert len(deadlines) == 0


async def test_many_waits_share_the_line_and_each_times_out_once() -> None:
    log: list[tuple[str, float]] = []
    deadlines = Deadlines(0.05)
    events = [asyncio.Event() for _ in range(200)]
    for number, event in enumerate(events):
        deadlines.arm(Timed(str(number), log, event))
    await asyncio.wait_for(asyncio.gather(*(event.wait() for event in events)), DEADLINE)
    assert [name for name, _ in log] == [str(number) for number in range(200)]


class Recorder(Handoff):
    """A connection whose steps record items; ``gate`` holds the items named "slow"."""

    __slots__ = ("gate", "seen")

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[Any] = []
        self.gate = asyncio.Event()

    async def _handle(self, item: Any) -> None:
        if item == "slow":
            await self.gate.wait()
        if item == "boom":
            raise RuntimeError("boom")
        self.seen.append(item)


async def test_a_step_that_does_not_suspend_is_done_before_deliver_returns() -> None:
    connection = Recorder()
    connection.deliver("one")
    assert connection.seen == ["one"]
    connection.deliver("two")
    assert connection.seen == ["one", "two"]


async def test_items_handed_over_behind_a_suspended_step_wait_their_turn_in_order() -> None:
    connection = Recorder()
    connection.deliver("slow")
    for item in ("a", "b", "c"):
        connection.deliver(item)
    assert connection.seen == []
    connection.gate.set()
    deadline = time.monotonic() + DEADLINE
    while connection.seen != ["slow", "a", "b", "c"]:
        assert time.monotonic() < deadline, f"handled only {connection.seen}"
        await asyncio.sleep(0)  # the backlog drains as the loop turns
    connection.deliver("d")
    assert connection.seen[-1] == "d", "back to handling at once once the backlog is empty"


async def test_a_failing_step_is_logged_and_the_next_item_still_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    connection = Recorder()
    with caplog.at_level(logging.ERROR, logger="channels.interface"):
        connection.deliver("boom")
        connection.deliver("after")
    assert connection.seen == ["after"]
    assert any(record.exc_info and str(record.exc_info[1]) == "boom" for record in caplog.records)


async def test_start_eagerly_hands_a_suspended_coroutine_to_a_task_that_finishes_it() -> None:
    ready = asyncio.Event()
    steps: list[str] = []

    async def step() -> None:
        steps.append("before")
        await ready.wait()
        steps.append("after")

    task = start_eagerly(step())
    assert steps == ["before"] and task is not None
    ready.set()
    await asyncio.wait_for(task, DEADLINE)
    assert steps == ["before", "after"]

    async def quick() -> None:
        steps.append("quick")

    assert start_eagerly(quick()) is None
    assert steps[-1] == "quick"


async def test_cancelling_the_task_of_an_eager_step_cancels_the_step() -> None:
    cleaned = asyncio.Event()

    async def step() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            cleaned.set()

    task = start_eagerly(step())
    assert task is not None
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, DEADLINE)
    assert cleaned.is_set()
