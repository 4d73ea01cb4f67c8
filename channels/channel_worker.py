"""The Channels 4 worker: ``manage.py runworker thumbnails-generate ...``.

For each named channel it receives the channel's messages from the layer and feeds them to
one instance of ``ASGI_APPLICATION`` (usually a ``ChannelNameRouter`` under
``ProtocolTypeRouter``'s ``"channel"`` key) with the scope
``{"type": "channel", "channel": name}``. An instance that ends (``StopConsumer``) or raises
(logged with its traceback) is replaced by a new one for the channel's next message. Such an
instance cannot send to a client (it has none): it talks through the channel layer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any

from .layers import AsyncChannelLayer
from .layers.names import check_channel_name

logger = logging.getLogger("channels.worker")


async def _no_client(message: dict[str, Any]) -> None:
    raise RuntimeError(
        f"a channel worker's consumer has no client to send {message!r:.80} to; send through "
        "the channel layer instead (self.channel_layer.send / group_send)"
    )


class ChannelWorker:
    """Runs ``application`` for the messages of ``channels`` on ``layer``."""

    def __init__(self, application: Any, channels: list[str], layer: AsyncChannelLayer) -> None:
        if not channels:
            raise ValueError("a channel worker needs at least one channel name")
        for name in channels:
            if "!" in name or "?" in name:
                raise ValueError(
                    f"cannot run a worker for {name!r}: name a normal channel (letters, "
                    "digits, '-', '_', '.'), as ChannelNameRouter routes them"
                )
            check_channel_name(name)
        self.application = application
        self.channels = list(channels)
        self.layer = layer
        self._instances: dict[str, tuple[asyncio.Task[Any], asyncio.Queue[Any]]] = {}
        self._stopping = False

    def _queue_for(self, channel: str) -> asyncio.Queue[Any]:
        """The channel's input queue, with a live instance reading it."""
        current = self._instances.get(channel)
        if current is None:
            return self._start(channel, asyncio.Queue())
        task, queue = current
        if task.done():
            self._start(channel, queue)
        return queue

    def _start(self, channel: str, queue: asyncio.Queue[Any]) -> asyncio.Queue[Any]:
        scope = {"type": "channel", "channel": channel}
        task = asyncio.ensure_future(self.application(scope, queue.get, _no_client))
        task.add_done_callback(lambda done: self._finished(channel, done))
        self._instances[channel] = (task, queue)
        return queue

    def _finished(self, channel: str, task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            logger.error(
                "consumer of channel %r raised; a new instance takes its next message",
                channel,
                exc_info=error,
            )
        # Messages queued while this instance was ending go to its successor.
        current = self._instances.get(channel)
        if not self._stopping and current is not None and current[0] is task and current[1].qsize():
            self._start(channel, current[1])

    async def _serve(self, channel: str) -> None:
        while True:
            message = await self.layer.receive(channel)
            await self._queue_for(channel).put(message)

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Receive and dispatch until ``stop`` is set (or SIGINT/SIGTERM when None)."""
        loop = asyncio.get_running_loop()
        if stop is None:
            stop = asyncio.Event()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
        receivers = [asyncio.ensure_future(self._serve(channel)) for channel in self.channels]
        stopping = asyncio.ensure_future(stop.wait())
        try:
            done, _ = await asyncio.wait(
                [*receivers, stopping], return_when=asyncio.FIRST_COMPLETED
            )
            for task in done:
                if task is not stopping:
                    task.result()  # a receive loop died: raise its error
        finally:
            self._stopping = True
            tasks = [*receivers, stopping, *(task for task, _ in self._instances.values())]
            for task in tasks:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*tasks, return_exceptions=True)


__all__ = ["ChannelWorker"]
