"""The Channels 4 layer API (``await layer.send(...)``) over any of this project's layers.

Channels 4 code gets its layer from ``channels.layers.get_channel_layer()`` and calls
coroutines: ``send``, ``receive(channel)``, ``new_channel()``, ``group_add``,
``group_discard``, ``group_send``, ``flush``. :class:`AsyncChannelLayer` offers exactly
those over a :class:`~channels.layers.base.BaseChannelLayer` (in-memory, Redis, or a
third party's), so both programming models share one layer object and its messages::

    layer = AsyncChannelLayer(InMemoryChannelLayer())
    name = await layer.new_channel()
    await layer.send(name, {"type": "hello"})
    assert await layer.receive(name) == {"type": "hello"}

Channels made by ``new_channel()`` are process-specific (``specific.<id>!<local>``): the
layer keeps all of a process's channels in one queue, read by one receive at a time (see
:mod:`channels.layers.demux`), however many consumers wait.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Callable
from typing import Any, ClassVar

from .base import BaseChannelLayer, Message
from .demux import Demultiplexer
from .names import check_receive_name, make_channel_name, queue_name


class AsyncChannelLayer:
    """A layer seen through the Channels 4 API. ``layer`` is the wrapped layer; the sync
    API and statistics stay available there (``layer.send``, ``layer.global_statistics``).

    ``expiry``, ``group_expiry``, ``capacity`` and ``channel_capacity`` read the wrapped
    layer's settings; ``extensions`` lists ``"groups"`` and ``"flush"``.
    """

    extensions: ClassVar[list[str]] = ["groups", "flush"]

    def __init__(
        self,
        layer: BaseChannelLayer,
        *,
        throwaway_loop: Callable[[asyncio.AbstractEventLoop], bool] | None = None,
    ) -> None:
        if not isinstance(layer, BaseChannelLayer):
            raise TypeError(
                f"AsyncChannelLayer wraps a channels.layers.BaseChannelLayer, got {layer!r}"
            )
        self.layer = layer
        # Tells the event loops made for a single call (``async_to_sync`` from a thread with
        # no loop: a view, a 1.x consumer). A layer's async clients belong to one loop, so
        # such a call would open connections that outlive it; it uses the sync API instead,
        # which may block: that loop's thread exists for this one call.
        self._throwaway_loop = throwaway_loop
        # One id per adapter: its channels' prefix names this process (and this adapter).
        self.client_id = secrets.token_hex(6)
        self._demuxes: dict[str, Demultiplexer] = {}
        self._lock = threading.Lock()

    # -- settings of the wrapped layer -------------------------------------------------------

    @property
    def expiry(self) -> float:
        """Seconds a message waits before it expires."""
        return self.layer.expiry

    @property
    def group_expiry(self) -> float:
        """Seconds a group membership lasts after its last ``group_add``."""
        return self.layer.group_expiry

    @property
    def capacity(self) -> int:
        """Messages a normal channel holds before ``send`` raises ``ChannelFull``."""
        return self.layer.capacities.default

    @property
    def channel_capacity(self) -> dict[Any, int]:
        """Capacity overrides, by compiled pattern."""
        return dict(self.layer.capacities.patterns)

    # -- the API -----------------------------------------------------------------------------

    async def send(self, channel: str, message: Message) -> None:
        """Send ``message`` (a dict, usually with a ``type``) to ``channel``; raises
        ``ChannelFull`` when the channel is at capacity."""
        if not isinstance(message, dict):
            raise TypeError(f"a channel message must be a dict, got {message!r}")
        await self._call("send", channel, message)

    async def receive(self, channel: str) -> Message:
        """Wait for the next message on ``channel`` and return it."""
        if "!" in channel:
            return await self._demux(channel).receive(channel)
        check_receive_name(channel)
        throwaway = self._in_throwaway_loop()
        while True:
            if throwaway:
                name, message = self.layer.receive([channel], block=True)
            else:
                name, message = await self.layer.areceive([channel], block=True)
            if name is not None and message is not None:
                return message

    async def new_channel(self, prefix: str = "specific.") -> str:
        """A new channel name this process receives on: ``prefix`` + id + ``!`` + random."""
        return make_channel_name(f"{prefix}{self.client_id}!")

    async def group_add(self, group: str, channel: str) -> None:
        """Add ``channel`` to ``group`` (renewing the membership's expiry)."""
        await self._call("group_add", group, channel)

    async def group_discard(self, group: str, channel: str) -> None:
        """Remove ``channel`` from ``group``; no error when it was not a member."""
        await self._call("group_discard", group, channel)

    async def group_send(self, group: str, message: Message) -> None:
        """Send ``message`` to every member of ``group``; full members are skipped."""
        if not isinstance(message, dict):
            raise TypeError(f"a channel message must be a dict, got {message!r}")
        await self._call("send_group", group, message)

    async def flush(self) -> None:
        """Delete every message and group of the layer."""
        await self._call("flush")
        with self._lock:
            demuxes = list(self._demuxes.values())
        for demux in demuxes:
            demux.clear()

    async def close(self) -> None:
        """Nothing to release here: the wrapped layer belongs to its owner."""

    async def _call(self, operation: str, *args: Any) -> None:
        """The layer's ``operation``: its async twin (``a`` + name), or the sync method in a
        one-call event loop (see ``throwaway_loop``)."""
        if self._in_throwaway_loop():
            getattr(self.layer, operation)(*args)
        else:
            await getattr(self.layer, "a" + operation)(*args)

    def _in_throwaway_loop(self) -> bool:
        test = self._throwaway_loop
        return test is not None and test(asyncio.get_running_loop())

    def _demux(self, channel: str) -> Demultiplexer:
        prefix = queue_name(channel)
        with self._lock:
            demux = self._demuxes.get(prefix)
            if demux is None:
                check_receive_name(prefix)
                demux = self._demuxes[prefix] = Demultiplexer(self.layer, prefix)
            return demux

    def __repr__(self) -> str:
        return f"<AsyncChannelLayer over {self.layer!r}>"


__all__ = ["AsyncChannelLayer"]
