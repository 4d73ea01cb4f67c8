"""Handing events to a connection without a task or a queue of its own.

The reply dispatcher, the shared deadlines and the connection's own coroutine all have
things for a connection to do (write a reply, answer 503, close the socket). A
:class:`Handoff` does them in the order they were handed over, and at once: a step that
only writes to the ASGI server (daphne's ``send`` never suspends) runs to its end right in
the caller's stack (:func:`start_eagerly`), so a reply reaches the socket in the same turn
of the event loop it arrived in. Only a step that does suspend gets a task, and what is
handed over meanwhile waits in a backlog made for that moment; an idle connection holds
neither.
"""

from __future__ import annotations

import asyncio
import logging
import types
from collections import deque
from collections.abc import Coroutine, Generator
from typing import Any

logger = logging.getLogger("channels.interface")


@types.coroutine
def _resume(coro: Coroutine[Any, Any, None], waiting_on: Any) -> Generator[Any, Any, None]:
    """Carry on ``coro``, which suspended on ``waiting_on``, as a task's coroutine."""
    while True:
        try:
            value = yield waiting_on
        except BaseException as exc:  # cancellation or a failed wait: into coro it goes
            try:
                waiting_on = coro.throw(exc)
            except StopIteration:
                return
        else:
            try:
                waiting_on = coro.send(value)
            except StopIteration:
                return


def start_eagerly(coro: Coroutine[Any, Any, None]) -> asyncio.Task[None] | None:
    """Run ``coro`` now, in the caller's stack, up to its first suspension.

    Returns None when it finished without suspending, else the task that carries it on.
    Only for steps that await the ASGI server's ``send``: the part run here runs under the
    caller's task, so a step must not enter a timeout scope (as the layers' network calls
    do) before it first suspends. Exceptions of the eager part propagate to the caller.
    """
    try:
        waiting_on = coro.send(None)
    except StopIteration:
        return None
    return asyncio.get_running_loop().create_task(_resume(coro, waiting_on))


#: The backlog of a connection running a step, while nothing waits behind it.
_BUSY: deque[Any] = deque(maxlen=0)


class Handoff:
    """The ordered hand-off of one connection: :meth:`deliver` items to :meth:`_handle`.

    Subclasses implement ``_handle(item)`` (a coroutine that logs its own failures) and say
    with ``_needs_task(item)`` which items do more than write to the server (those run as a
    task from the start).
    """

    __slots__ = ("_backlog",)

    def __init__(self) -> None:
        # None while no step runs: the usual, idle state; _BUSY while one runs and nothing
        # waits; a deque of its own only when items wait behind a step.
        self._backlog: deque[Any] | None = None

    def deliver(self, item: Any) -> None:
        """Handle ``item`` after every item handed over before it; now, if none is pending."""
        backlog = self._backlog
        if backlog is None:
            self._backlog = _BUSY
            self._run(item)
        elif backlog is _BUSY:
            self._backlog = deque((item,))
        else:
            backlog.append(item)

    def _run(self, item: Any) -> None:
        while True:
            step = self._handle(item)
            # Replies (dicts) only write; markers may do more (start_eagerly, inlined: this
            # is the path of every reply).
            if type(item) is not dict and self._needs_task(item):
                task: asyncio.Task[None] | None = asyncio.get_running_loop().create_task(step)
            else:
                try:
                    waiting_on = step.send(None)
                except StopIteration:
                    task = None
                except Exception:
                    logger.exception("handling %r failed", item)
                    task = None
                else:
                    task = asyncio.get_running_loop().create_task(_resume(step, waiting_on))
            if task is not None:
                task.add_done_callback(self._next)
                return
            backlog = self._backlog
            if not backlog:  # _BUSY is empty too
                self._backlog = None
                return
            item = backlog.popleft()

    def _next(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.error("a connection step failed", exc_info=task.exception())
        backlog = self._backlog
        if not backlog:
            self._backlog = None
        else:
            self._run(backlog.popleft())

    def _needs_task(self, item: Any) -> bool:
        return False

    async def _handle(self, item: Any) -> None:
        raise NotImplementedError


__all__ = ["Handoff", "start_eagerly"]
