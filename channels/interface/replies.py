"""The reply side of an interface server: one reply prefix per process, one receive loop.

Every connection gets a process-specific reply channel under this process's prefix
(``daphne.response.<random>!<random>``). A single task receives on the prefix (one blocking
receive covers every connection) and hands each message straight to its connection
(:class:`~channels.interface.handoff.Handoff`), which writes it to the socket at once; the
membership notes among them go to :class:`~channels.interface.memberships.Memberships`. The
dispatcher also keeps the process's shared :class:`~channels.interface.deadlines.Deadlines`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets

from ..layers.base import BaseChannelLayer, Message
from ..layers.membership import NOTE_CHANNEL
from .coalescing import SendCoalescer
from .deadlines import Deadlines, Waiter
from .liveness import WORKER_GONE, WorkerWatch, watchable
from .memberships import CHECK_INTERVAL, Memberships

logger = logging.getLogger("channels.interface")

#: Pause after an unexpected receive failure, so a broken layer does not spin the loop.
_FAILURE_PAUSE = 1.0
#: Replies handed out between two yields to the event loop.
_YIELD_EVERY = 16
#: The most replies taken from the layer in one receive.
_BATCH = 64


class ReplyDispatcher:
    """Owns this process's reply prefix and routes replies to connections.

    Create one per process (per event loop); ``open(connection)`` gives a connection its
    reply channel, whose replies go to ``connection.deliver``; ``close()`` forgets it. The
    receive loop starts with the first connection.
    """

    def __init__(
        self,
        layer: BaseChannelLayer,
        base: str = "daphne.response.",
        check_interval: float = CHECK_INTERVAL,
    ) -> None:
        self.layer = layer
        self.prefix = f"{base}{secrets.token_urlsafe(9)}!"
        self._connections: dict[str, Waiter] = {}
        self._deadlines: dict[float, Deadlines] = {}
        self._task: asyncio.Task[None] | None = None
        self._watcher: asyncio.Task[None] | None = None
        #: The group memberships of this prefix's connections (see memberships.py).
        self.memberships = Memberships(
            layer, self.prefix, self._connections.__contains__, check_interval
        )
        self._note_channel = self.prefix + NOTE_CHANNEL
        registry = watchable(layer)
        #: The deployment's live workers, when the layer lets them be watched.
        self.workers = WorkerWatch(registry, self._workers_gone) if registry else None
        self._watching: asyncio.Task[None] | None = None
        self._sends: SendCoalescer | None = None

    @property
    def sends(self) -> SendCoalescer:
        """This event loop's sends from many connections, made in one batch per turn."""
        if self._sends is None:
            self._sends = SendCoalescer(self.layer)
        return self._sends

    def open(self, connection: Waiter) -> str:
        """A new reply channel name; its replies go to ``connection.deliver``."""
        if self._task is None or self._task.done():
            loop = asyncio.get_running_loop()
            self._task = loop.create_task(self._run())
            if self._watcher is None or self._watcher.done():
                self.memberships.claim()
                self._watcher = loop.create_task(self.memberships.keep())
            if self.workers is not None and (self._watching is None or self._watching.done()):
                self._watching = loop.create_task(self.workers.run())
        channel = self.layer.new_channel(self.prefix)
        self._connections[channel] = connection
        return channel

    def deadlines(self, timeout: float) -> Deadlines:
        """The shared deadlines of every wait of ``timeout`` seconds in this process."""
        deadlines = self._deadlines.get(timeout)
        if deadlines is None:
            deadlines = self._deadlines[timeout] = Deadlines(timeout)
        return deadlines

    def close(self, channel: str) -> None:
        """Forget a connection's reply channel (later replies to it are dropped) and take
        it out of every group it is in."""
        self._connections.pop(channel, None)
        self.memberships.release(channel)

    def serves(self, channel: str) -> bool:
        """False when the workers are watched and none receives on ``channel``."""
        return self.workers is None or self.workers.serves(channel)

    def _workers_gone(self, reply_channels: set[str]) -> None:
        for channel in reply_channels:
            connection = self._connections.get(channel)
            if connection is not None:
                connection.deliver(WORKER_GONE)

    @property
    def connections(self) -> int:
        """How many connections currently have a reply channel."""
        return len(self._connections)

    async def _run(self) -> None:
        handed = 0
        while True:
            try:
                # Every reply already waiting comes in the same round trip as the first.
                batch = await self.layer.areceive_many([self.prefix], _BATCH, block=True)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("receiving replies on %s failed; retrying", self.prefix)
                await asyncio.sleep(_FAILURE_PAUSE)
                continue
            for channel, message in batch:
                if channel == self._note_channel:
                    self.memberships.noted(message)
                    continue
                self._hand(channel, message)
                handed += 1
                if handed % _YIELD_EVERY == 0:
                    # A batch (or a group copy for many sockets) is handed out without a
                    # round trip: let the server flush what was written before more.
                    await asyncio.sleep(0)

    def _hand(self, channel: str, message: Message) -> None:
        connection = self._connections.get(channel)
        if connection is None:
            logger.debug("dropped a reply for %s: its connection is closed", channel)
            return
        # Written to the socket before this returns (unless the server's send suspends:
        # then the connection carries on in a task of its own).
        try:
            connection.deliver(message)
        except Exception:  # a bug in one connection must not stop every reply
            logger.exception("handing a reply to %s failed", channel)

    async def stop(self) -> None:
        """Stop the receive loop (at server shutdown)."""
        for task in (self._task, self._watcher, self._watching):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = self._watcher = self._watching = None
        await self.memberships.stop()
