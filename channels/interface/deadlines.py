"""One timer for every connection that waits with the same timeout.

An HTTP request waits ``http_timeout`` for its worker's reply, a WebSocket handshake
``websocket_connect_timeout`` for its consumer's answer. Rather than a timer (or a
``wait_for``) per connection, each timeout has one :class:`Deadlines`: the connections
waiting on it in the order they started waiting. With a single timeout the first to start
is the first due, so the only timer that is ever scheduled is the head's; a connection that
stops waiting leaves the line in O(1), and one that waits again (the next chunk of a
streamed response) goes to the back.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import OrderedDict
from typing import Any, Protocol

#: Expire entries due this close to now (the event loop may run a timer this early).
_SLACK = 0.001


class Waiter(Protocol):
    """A connection, as :class:`Deadlines` sees it."""

    def deliver(self, item: Any) -> None:
        """Take ``item`` (here: :data:`TIMED_OUT`)."""


#: Delivered to a connection whose deadline passed.
TIMED_OUT = object()


class Deadlines:
    """Connections waiting at most ``timeout`` seconds each; one loop timer for them all.

    Use from the event loop's thread only: :meth:`arm` when a connection starts waiting,
    :meth:`cancel` when its wait ends; a connection still waiting at its deadline is
    delivered :data:`TIMED_OUT`.
    """

    __slots__ = ("_due", "_timer", "timeout")

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._due: OrderedDict[Waiter, float] = OrderedDict()
        self._timer: asyncio.TimerHandle | None = None

    def __len__(self) -> int:
        return len(self._due)

    def arm(self, waiter: Waiter) -> None:
        """Start (or restart) ``waiter``'s wait: due ``timeout`` seconds from now."""
        loop = asyncio.get_running_loop()
        due = loop.time() + self.timeout
        if waiter in self._due:
            self._due.move_to_end(waiter)
        self._due[waiter] = due
        if self._timer is None:
            self._schedule(loop, due)

    def cancel(self, waiter: Waiter) -> None:
        """End ``waiter``'s wait (nothing if it is not waiting). The timer stays: when it
        fires it finds the next deadline and sleeps again until then."""
        self._due.pop(waiter, None)

    def _schedule(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        # In a context of its own, not that of the connection that happened to arm it: what
        # runs from here (and logs) is about other connections.
        self._timer = loop.call_at(when, self._expire, context=contextvars.Context())

    def _expire(self) -> None:
        self._timer = None
        loop = asyncio.get_running_loop()
        due = self._due
        while due:
            waiter = next(iter(due))
            when = due[waiter]
            if when > loop.time() + _SLACK:
                self._schedule(loop, when)
                return
            del due[waiter]
            # The waiter may arm or cancel (itself or others) from here: due is re-read.
            waiter.deliver(TIMED_OUT)


__all__ = ["TIMED_OUT", "Deadlines", "Waiter"]
