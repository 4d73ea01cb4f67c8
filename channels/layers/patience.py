"""Sending patiently: retry a send that meets ``ChannelFull`` until a deadline.

A full channel is back-pressure from its readers, who are elsewhere: there is nothing to
wait on, so a sender that must not give up at once sleeps a little, longer each time, and
tries again until its patience runs out. This is the one place that loop is written:

* :func:`backoff` is the one backoff formula (exponential, capped);
* :func:`pauses` is the pure part, the pauses a sender takes before its deadline;
* :func:`send_patiently` and :func:`asend_patiently` are the sync and async twins.

Both return whether the message went; a send that fails for another reason (``MessageTooLarge``,
an unreachable layer) raises at once, since waiting cannot mend it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from ..exceptions import ChannelFull

#: The first pause, and the longest, of :func:`backoff` (seconds).
FIRST_PAUSE = 0.005
LONGEST_PAUSE = 0.25


def backoff(attempt: int, *, first: float = FIRST_PAUSE, longest: float = LONGEST_PAUSE) -> float:
    """The pause before retry number ``attempt`` (0 for the first): ``first`` doubled each
    time, never more than ``longest``."""
    if attempt < 0:
        raise ValueError(f"attempt must be 0 or more, got {attempt!r}")
    # Cap the exponent too: 2.0 ** 1100 overflows a float.
    return float(min(longest, first * 2.0 ** min(attempt, 64)))


def pauses(
    patience: float, *, first: float = FIRST_PAUSE, longest: float = LONGEST_PAUSE
) -> Iterator[float]:
    """The pauses to take between tries for ``patience`` seconds from now; each is cut
    short at the deadline, and the iterator ends once it has passed."""
    deadline = time.monotonic() + patience
    attempt = 0
    while (remaining := deadline - time.monotonic()) > 0:
        yield min(backoff(attempt, first=first, longest=longest), remaining)
        attempt += 1


def send_patiently(
    send: Callable[..., object], *args: Any, patience: float, first: float = FIRST_PAUSE
) -> bool:
    """Call ``send(*args)`` until it does not raise ``ChannelFull`` or ``patience`` seconds
    have passed; True if it went, False if the channel stayed full::

        if not send_patiently(layer.send, reply_channel, {"close": True}, patience=1.0):
            logger.warning("could not close %s: its channel stayed full", reply_channel)
    """
    waits = pauses(patience, first=first)
    while True:
        try:
            send(*args)
            return True
        except ChannelFull:
            pause = next(waits, None)
            if pause is None:
                return False
            time.sleep(pause)


async def asend_patiently(
    send: Callable[..., Awaitable[object]],
    *args: Any,
    patience: float,
    first: float = FIRST_PAUSE,
) -> bool:
    """The async twin of :func:`send_patiently`: ``await send(*args)``, sleeping on the
    event loop between tries."""
    waits = pauses(patience, first=first)
    while True:
        try:
            await send(*args)
            return True
        except ChannelFull:
            pause = next(waits, None)
            if pause is None:
                return False
            await asyncio.sleep(pause)


__all__ = ["asend_patiently", "backoff", "pauses", "send_patiently"]
