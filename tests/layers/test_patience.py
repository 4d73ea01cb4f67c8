"""Sending patiently (channels.layers.patience): one backoff, one retry loop, sync and async."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from channels.exceptions import MessageTooLarge
from channels.layers import InMemoryChannelLayer
from channels.layers.patience import asend_patiently, backoff, pauses, send_patiently


def test_backoff_doubles_from_the_first_pause_up_to_the_longest() -> None:
    assert [backoff(n) for n in range(8)] == [0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.25, 0.25]
    assert backoff(3, first=0.1, longest=2.0) == 0.8
    assert backoff(10_000) == 0.25  # no overflow for a long outage


def test_backoff_refuses_a_negative_attempt() -> None:
    with pytest.raises(ValueError, match="attempt must be 0 or more"):
        backoff(-1)


def test_pauses_end_at_the_deadline_and_never_pass_it() -> None:
    started = time.monotonic()
    taken = 0.0
    for pause in pauses(0.1):
        assert pause <= 0.1
        time.sleep(pause)
        taken += pause
    assert time.monotonic() - started >= 0.1
    assert taken <= 0.1 + 1e-6


def test_a_send_that_fits_goes_at_once() -> None:
    layer = InMemoryChannelLayer()
    assert send_patiently(layer.send, "jobs", {"n": 1}, patience=1.0) is True
    assert layer.receive(["jobs"]) == ("jobs", {"n": 1})


def test_a_channel_that_stays_full_gives_up_after_its_patience() -> None:
    layer = InMemoryChannelLayer(capacity=1)
    layer.send("jobs", {"n": 1})
    started = time.monotonic()
    assert send_patiently(layer.send, "jobs", {"n": 2}, patience=0.2) is False
    assert time.monotonic() - started >= 0.2


def test_a_channel_drained_meanwhile_takes_the_message() -> None:
    layer = InMemoryChannelLayer(capacity=1)
    layer.send("jobs", {"n": 1})
    tried = threading.Event()
    real_send = layer.send

    def send(channel: str, message: dict) -> None:
        try:
            real_send(channel, message)
        finally:
            tried.set()

    drainer = threading.Thread(target=lambda: (tried.wait(5), layer.receive(["jobs"])))
    drainer.start()
    assert send_patiently(send, "jobs", {"n": 2}, patience=5.0) is True
    drainer.join(5)
    assert layer.receive(["jobs"]) == ("jobs", {"n": 2})


def test_other_errors_are_not_retried() -> None:
    layer = InMemoryChannelLayer(max_message_size=100)
    with pytest.raises(MessageTooLarge):
        send_patiently(layer.send, "jobs", {"blob": b"x" * 1000}, patience=5.0)


async def test_the_async_twin_waits_on_the_event_loop() -> None:
    layer = InMemoryChannelLayer(capacity=1)
    await layer.asend("jobs", {"n": 1})
    assert await asend_patiently(layer.asend, "jobs", {"n": 2}, patience=0.05) is False

    async def drain() -> None:
        await asyncio.sleep(0.02)
        await layer.areceive(["jobs"])

    drained = asyncio.ensure_future(drain())
    assert await asend_patiently(layer.asend, "jobs", {"n": 3}, patience=5.0) is True
    await drained
    assert await layer.areceive(["jobs"]) == ("jobs", {"n": 3})
