"""Receiving in tests, always with a deadline: the one helper every test folder uses.

``receive_within`` (sync) and ``areceive_within`` (async) return the next ``(channel,
message)`` on ``channels`` or fail the test once ``timeout`` seconds have passed;
``next_message`` and ``anext_message`` return just the message.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

#: How long a test waits for a message unless it says otherwise (seconds).
DEADLINE = 10.0


def _names(channels: str | list[str]) -> list[str]:
    return [channels] if isinstance(channels, str) else list(channels)


def _fail(channels: str | list[str], started: float) -> None:
    pytest.fail(
        f"nothing arrived on {channels!r} within {time.monotonic() - started:.1f} s",
        pytrace=False,
    )


def receive_within(
    layer: Any, channels: str | list[str], timeout: float = DEADLINE
) -> tuple[str, dict[str, Any]]:
    """The next ``(channel, message)`` on ``channels`` (names or ``prefix!``)."""
    started = time.monotonic()
    deadline = started + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        channel, message = layer.receive(_names(channels), block=True, timeout=remaining)
        if channel is not None:
            return channel, message
    _fail(channels, started)
    raise AssertionError("unreachable")


async def areceive_within(
    layer: Any, channels: str | list[str], timeout: float = DEADLINE
) -> tuple[str, dict[str, Any]]:
    """The async twin of :func:`receive_within`."""
    started = time.monotonic()
    deadline = started + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        channel, message = await layer.areceive(_names(channels), block=True, timeout=remaining)
        if channel is not None:
            return channel, message
    _fail(channels, started)
    raise AssertionError("unreachable")


def next_message(layer: Any, channel: str, timeout: float = DEADLINE) -> dict[str, Any]:
    """The next message on ``channel``."""
    return receive_within(layer, channel, timeout)[1]


async def anext_message(layer: Any, channel: str, timeout: float = DEADLINE) -> dict[str, Any]:
    """The next message on ``channel``, awaited."""
    return (await areceive_within(layer, channel, timeout))[1]
