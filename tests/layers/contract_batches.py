"""The contract of the batch operations, ``receive_many`` and ``send_many`` (and their async
twins): a part of the contract suite (:mod:`tests.layers.contract`), on the same fixtures.
Import it beside that module: ``from tests.layers.contract_batches import *``.

A batch must keep every promise of the single operations: FIFO per channel, at most once
however many receivers batch at once, expiry, capacity reported per item, and no message
lost when an ``areceive_many`` is cancelled.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from channels import exceptions
from tests.layers.contract import (
    CALL_DEADLINE,
    LONG_BLOCK,
    WAKE_DEADLINE,
    LayerFactory,
    LoopThread,
    receive_all,
)


def receive_all_many(layer: Any, channels: list[str], max_count: int) -> list[tuple[str, Any]]:
    """Everything ``channels`` hold right now, taken ``max_count`` at most per call."""
    received: list[tuple[str, Any]] = []
    for _ in range(10_000):
        batch = layer.receive_many(channels, max_count)
        assert len(batch) <= max_count, f"asked for {max_count}, got {len(batch)}"
        if not batch:
            return received
        received.extend(batch)
    raise AssertionError(f"{channels!r} still had messages after 10,000 batches")


def test_receive_many_keeps_each_channel_in_order(layer: Any) -> None:
    for n in range(7):
        layer.send("batch.a", {"n": n})
        layer.send("batch.b", {"n": n})
    received = receive_all_many(layer, ["batch.a", "batch.b"], 4)
    for name in ("batch.a", "batch.b"):
        assert [m["n"] for channel, m in received if channel == name] == list(range(7))
    assert len(received) == 14


@pytest.mark.parametrize("block", [False, True], ids=["waiting", "blocking"])
def test_a_batch_is_shared_among_the_channels_with_a_backlog(layer: Any, block: bool) -> None:
    """A batch for several readers (a worker's idle threads) must not all come from one
    channel's backlog while another channel waits: that channel's consumers would go unrun
    while the batch's consumers send to it (a full channel, and every thread stuck)."""
    for n in range(20):
        layer.send("share.a", {"n": n})
        layer.send("share.b", {"n": n})
    kwargs = {"block": True, "timeout": CALL_DEADLINE} if block else {}
    batch = layer.receive_many(["share.a", "share.b"], 20, **kwargs)
    counts = Counter(channel for channel, _ in batch)
    assert len(batch) == 20 and set(counts) == {"share.a", "share.b"}, counts
    for name in ("share.a", "share.b"):
        assert [m["n"] for channel, m in batch if channel == name] == list(range(counts[name]))
    receive_all(layer, ["share.a", "share.b"])


def test_receive_many_returns_an_empty_list_when_nothing_waits(layer: Any) -> None:
    assert layer.receive_many(["batch.none"], 5) == []
    started = time.monotonic()
    assert layer.receive_many(["batch.none"], 5, block=True, timeout=0.2) == []
    assert time.monotonic() - started >= 0.15


def test_receive_many_rejects_a_count_that_is_not_positive(layer: Any) -> None:
    for bad in (0, -1, 1.5, None, True):
        with pytest.raises(ValueError, match="max_count"):
            layer.receive_many(["batch.count"], bad)


def test_receive_many_gives_process_specific_messages_their_full_names(layer: Any) -> None:
    layer.send("batch.proc!x", {"n": 1})
    layer.send("batch.proc!y", {"n": 2})
    layer.send("batch.proc!x", {"n": 3})
    assert receive_all_many(layer, ["batch.proc!"], 2) == [
        ("batch.proc!x", {"n": 1}),
        ("batch.proc!y", {"n": 2}),
        ("batch.proc!x", {"n": 3}),
    ]


def test_receive_many_splits_a_group_copy_without_losing_members(layer: Any) -> None:
    members = [f"batch.members!{n}" for n in range(3)]
    for member in members:
        layer.group_add("batch.group", member)
    layer.send_group("batch.group", {"hello": True})
    first = layer.receive_many(["batch.members!"], 2)
    rest = receive_all_many(layer, ["batch.members!"], 2)
    assert len(first) == 2
    assert sorted(channel for channel, _ in first + rest) == members


def test_receive_many_never_returns_expired_messages(new_layer: Callable[..., Any]) -> None:
    layer = new_layer(expiry=1)
    for n in range(3):
        layer.send("batch.expiring", {"n": n})
    time.sleep(1.2)  # expiry: nothing to wait for but time
    layer.send("batch.expiring", {"n": 3})
    assert receive_all_many(layer, ["batch.expiring"], 10) == [("batch.expiring", {"n": 3})]


def test_blocking_receive_many_returns_what_waits_without_waiting_for_more(
    make_layer: LayerFactory,
) -> None:
    layer = make_layer(block_timeout=LONG_BLOCK)
    result: list[Any] = []
    done = threading.Event()

    def run() -> None:
        try:
            result.append(layer.receive_many(["batch.woken"], 10, block=True))
        finally:
            done.set()

    threading.Thread(target=run, daemon=True).start()
    layer.send("batch.woken", {"n": 1})
    assert done.wait(WAKE_DEADLINE), f"receive_many not woken within {WAKE_DEADLINE} s"
    assert result[0][0] == ("batch.woken", {"n": 1})
    assert len(result[0]) == 1 or result[0][1:] == []


def test_areceive_many_on_a_loop_wakes_when_a_thread_sends(
    make_layer: LayerFactory, loop_thread: LoopThread
) -> None:
    layer = make_layer()
    future = loop_thread.submit(
        layer.areceive_many(["batch.to.loop"], 5, block=True, timeout=LONG_BLOCK)
    )
    layer.send("batch.to.loop", {"n": 1})
    assert future.result(WAKE_DEADLINE) == [("batch.to.loop", {"n": 1})]


def test_send_many_sends_in_order_and_reports_each_item(layer: Any) -> None:
    items = [("batch.sent", {"n": n}) for n in range(5)] + [("batch.sent!x", {"n": 9})]
    assert layer.send_many(items) == [None] * 6
    assert receive_all(layer, ["batch.sent"]) == items[:5]
    assert layer.receive(["batch.sent!"]) == ("batch.sent!x", {"n": 9})
    assert layer.send_many([]) == []


def test_send_many_reports_full_queues_per_item_and_sends_the_rest(
    new_layer: Callable[..., Any],
) -> None:
    layer = new_layer(capacity=2)
    layer.send("batch.full", {"n": 0})
    results = layer.send_many(
        [
            ("batch.full", {"n": 1}),
            ("batch.full", {"n": 2}),
            ("batch.room", {"n": 1}),
            ("batch.full", {"n": 3}),
            ("batch.room", {"n": 2}),
        ]
    )
    assert [type(result) for result in results] == [
        type(None),
        exceptions.ChannelFull,
        type(None),
        exceptions.ChannelFull,
        type(None),
    ]
    assert [m["n"] for _, m in receive_all(layer, ["batch.full"])] == [0, 1]
    assert [m["n"] for _, m in receive_all(layer, ["batch.room"])] == [1, 2]
    assert layer.global_statistics()["channel_full_count"] == 2


def test_send_many_with_an_invalid_item_sends_nothing(new_layer: Callable[..., Any]) -> None:
    layer = new_layer(max_message_size=1000)
    for bad in (
        ("bad name!x!", {}),
        ("batch.valid", {"x": object()}),
        ("batch.valid", {"b": b"x" * 2000}),
    ):
        with pytest.raises((ValueError, TypeError, exceptions.MessageTooLarge)):
            layer.send_many([("batch.valid", {"n": 1}), bad])
    assert layer.receive(["batch.valid"]) == (None, None)


def test_each_message_is_received_once_by_concurrent_batching_receivers(
    make_layer: LayerFactory, loop_thread: LoopThread
) -> None:
    total, channel = 3000, "batch.contended"
    layer = make_layer(capacity=total + 100)
    results: list[list[int]] = []
    lock = threading.Lock()
    finished = threading.Event()

    def thread_receiver(count: int) -> None:
        got: list[int] = []
        deadline = time.monotonic() + CALL_DEADLINE
        while not finished.is_set() and time.monotonic() < deadline:
            got.extend(m["n"] for _, m in layer.receive_many([channel], count, True, 0.2))
        with lock:
            results.append(got)

    async def coroutine_receiver(count: int) -> list[int]:
        got: list[int] = []
        deadline = time.monotonic() + CALL_DEADLINE
        while not finished.is_set() and time.monotonic() < deadline:
            batch = await layer.areceive_many([channel], count, True, 0.2)
            got.extend(m["n"] for _, m in batch)
        return got

    async def coroutine_receivers() -> list[list[int]]:
        return list(await asyncio.gather(*(coroutine_receiver(c) for c in (1, 5, 16))))

    threads = [threading.Thread(target=thread_receiver, args=(c,)) for c in (2, 7, 16)]
    coroutines = loop_thread.submit(coroutine_receivers())
    for thread in threads:
        thread.start()
    for start in range(0, total, 50):
        assert (
            layer.send_many([(channel, {"n": n}) for n in range(start, start + 50)]) == [None] * 50
        )

    def all_taken() -> bool:
        return layer.channel_statistics(channel)["messages_pending"] == 0

    deadline = time.monotonic() + CALL_DEADLINE
    while not all_taken() and time.monotonic() < deadline:
        time.sleep(0.05)  # polling a statistic with a deadline: the receivers own the queue
    finished.set()
    for thread in threads:
        thread.join(CALL_DEADLINE)
        assert not thread.is_alive(), "a receiving thread did not finish"
    results.extend(coroutines.result(CALL_DEADLINE))
    delivered = Counter(n for got in results for n in got)
    duplicates = sorted(n for n, times in delivered.items() if times > 1)
    missing = sorted(set(range(total)) - set(delivered))
    assert not duplicates, f"{len(duplicates)} delivered twice, e.g. {duplicates[:10]}"
    assert not missing, f"{len(missing)} never delivered, e.g. {missing[:10]}"
    for got in results:
        assert got == sorted(got), "one receiver saw its channel out of order"


def test_cancelling_areceive_many_does_not_lose_a_message(
    make_layer: LayerFactory, loop_thread: LoopThread
) -> None:
    layer = make_layer(capacity=1000)
    rounds = 60

    async def scenario() -> list[int]:
        delivered = []
        for number in range(rounds):
            task = asyncio.ensure_future(
                layer.areceive_many(["batch.cancelled"], 3, block=True, timeout=LONG_BLOCK)
            )
            for _ in range(number % 4):
                await asyncio.sleep(0)  # vary where in areceive_many the cancel lands
            if number % 2:
                await layer.asend("batch.cancelled", {"n": number})
            else:
                await asyncio.to_thread(layer.send, "batch.cancelled", {"n": number})
            for _ in range(number % 3):
                await asyncio.sleep(0)
            task.cancel()
            try:
                batch = await task
            except asyncio.CancelledError:
                continue
            delivered.extend(message["n"] for _, message in batch)
        return delivered

    delivered = loop_thread.run(scenario())
    left = [message["n"] for _, message in receive_all(layer, ["batch.cancelled"])]
    assert sorted(delivered + left) == list(range(rounds))


__all__ = [name for name in dir() if name.startswith("test_")]
