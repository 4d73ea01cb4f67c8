"""The channel layer contract, and the parts every layer shares.

A channel layer moves messages between the processes of a site: interface servers, workers
and anything that sends. Third-party layers subclass :class:`BaseChannelLayer` and must keep
the contract written in its docstring; ``tests/layers/contract.py`` is the suite that checks it.
"""

from __future__ import annotations

import abc
import asyncio
import logging
import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from .. import log_context  # noqa: F401 - gives channels.layers records their log fields
from ..exceptions import ChannelFull, ChannelLayerError, MessageTooLarge
from .capacity import Capacities, CapacityPatterns
from .codec import encode_message
from .membership import is_note, note_for
from .names import (
    check_channel_name,
    check_group_name,
    check_receive_names,
    make_channel_name,
    queue_name,
)
from .tally import ChannelTally

if TYPE_CHECKING:  # outages.py needs redis-py, which this module must not
    from .outages import OutageWatcher

logger = logging.getLogger("channels.layers")

Message = dict[str, Any]
Received = tuple[str, Message] | tuple[None, None]
#: What :meth:`BaseChannelLayer.send_many` says of each item: None if sent, else the error.
SendResult = ChannelLayerError | None

#: Statistics counters every layer keeps for its own process (see ``global_statistics``).
COUNTERS = (
    "messages_sent",
    "messages_received",
    "messages_expired",
    "channel_full_count",
    "group_messages_sent",
    "group_send_skipped",
)


class BaseChannelLayer(abc.ABC):
    """A channel layer: named FIFO channels and broadcast groups.

    **Channels.** ``send(channel, message)`` appends to a named first-in first-out queue;
    ``receive(channels, block=False)`` takes the oldest message of one of the listed channels
    and returns ``(channel, message)``, or ``(None, None)`` when there is none (after waiting
    up to ``timeout`` seconds, default ``block_timeout``, when ``block`` is true). When several
    channels have messages, which one is served is randomised so that no channel starves.

    **Delivery.** At most once: a message goes to exactly one receiver, whatever the number of
    threads and processes receiving, or to none if it expires: a message older than ``expiry``
    seconds (default 60) is never delivered. Messages are copied at send: changing the dict
    afterwards changes nothing. Values round-trip exactly (str stays str, bytes stays bytes;
    tuples become lists).

    **Names.** See :mod:`channels.layers.names`. Invalid names raise ``TypeError`` (not a str)
    or ``ValueError``; receiving on ``prefix!local`` is a ``ValueError`` (receive on
    ``prefix!``, which returns every ``prefix!...`` channel's messages with their full names).
    ``new_channel(pattern)`` returns an unused name: ``pattern`` plus a random local part.

    **Messages.** A dict with str keys of msgpack-able values; anything else is a ``TypeError``
    naming the offending value. Over ``max_message_size`` bytes encoded (default 1 MiB) is
    :class:`~channels.exceptions.MessageTooLarge`.

    **Capacity.** Each queue holds at most its capacity of unexpired messages; ``send`` past
    it raises :class:`~channels.exceptions.ChannelFull`. Normal channels default to
    ``capacity`` (100); a process-specific prefix is one queue shared by every channel under
    it, so it gets ``process_capacity`` (10,000); ``channel_capacity`` overrides both by glob
    or regex on the queue name (the channel name, or the prefix through ``!``).

    **Groups.** ``group_add`` / ``group_discard`` (idempotent) manage named sets of channels;
    membership lapses ``group_expiry`` seconds (default 86,400) after the last ``group_add``.
    ``send_group`` sends one message to every member and never raises ``ChannelFull``: a full
    member is skipped, counted in ``group_send_skipped`` and logged as a warning. Members that
    share a process-specific prefix may be served by one stored copy naming all of them; the
    receiver still gets one ``(channel, message)`` per member.

    **Async.** Every operation has an ``a``-prefixed coroutine twin (``asend``, ``areceive``,
    ...) with the same meaning, safe to mix with the sync API from other threads. Cancelling an
    ``areceive`` never loses a message. The defaults here run the sync method in a thread;
    layers override them with native versions.

    **Batches.** ``receive_many(channels, max_count, block=False)`` takes up to ``max_count``
    messages at once, as a list of ``(channel, message)`` (empty when there is none): when
    blocking, it waits for the first and then takes only what is already waiting.
    ``send_many(items)`` sends ``(channel, message)`` items in order and returns one result
    per item: None when sent, a ``ChannelFull`` where the queue was full. Once a queue refused
    an item, the later items of the batch for that queue are refused too (so a batch never
    reorders a channel); items for other queues are still sent. An invalid item
    (``TypeError``, ``ValueError``, ``MessageTooLarge``) raises before anything is sent.
    Both keep the delivery guarantees above; the defaults here loop over the single
    operations, and layers override them to use fewer round trips.

    **Statistics.** ``channel_statistics(channel)`` gives ``messages_pending``,
    ``oldest_message_age`` (seconds, or None) and ``capacity``; ``global_statistics()`` gives
    this layer object's counters (:data:`COUNTERS`).

    ``ChannelFull`` and ``MessageTooLarge`` are also attributes of every layer, for code that
    catches ``channel_layer.ChannelFull``.
    """

    extensions: ClassVar[list[str]] = ["groups", "flush", "statistics", "asyncio"]
    #: True when other processes (workers, interface servers) can reach this layer; a layer
    #: that lives inside one process (the in-memory layer) says False, and ``runworker``
    #: refuses it.
    crosses_processes: ClassVar[bool] = True
    #: True when :meth:`store_epoch` tells when the store lost its data (the interface
    #: server then puts its sockets' group memberships back).
    detects_store_loss: ClassVar[bool] = False
    #: Message types sent to this process's own channels (``prefix!local`` names being
    #: received with the Channels 4 API) when the layer's receives lose the store, and when
    #: they reach it again: ``channels_redis``'s pub/sub ``on_disconnect`` and
    #: ``on_reconnect``. None sends no such message.
    on_disconnect: str | None = None
    on_reconnect: str | None = None
    ChannelFull = ChannelFull
    MessageTooLarge = MessageTooLarge

    def __init__(
        self,
        *,
        expiry: float = 60,
        group_expiry: float = 86400,
        capacity: int = 100,
        process_capacity: int = 10_000,
        channel_capacity: CapacityPatterns | None = None,
        max_message_size: int = 1024 * 1024,
        block_timeout: float = 5.0,
    ) -> None:
        for name, value in (
            ("expiry", expiry),
            ("group_expiry", group_expiry),
            ("block_timeout", block_timeout),
        ):
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        if type(max_message_size) is not int or max_message_size < 1:
            raise ValueError(f"max_message_size must be a positive int, got {max_message_size!r}")
        self.expiry = expiry
        self.group_expiry = group_expiry
        self.max_message_size = max_message_size
        self.block_timeout = block_timeout
        self.capacities = Capacities(capacity, process_capacity, channel_capacity)
        self._counters = dict.fromkeys(COUNTERS, 0)
        self._counters_lock = threading.Lock()
        #: Per-queue counts of refused and expired messages, published by a heartbeat.
        self.tally = ChannelTally()
        # Messages a cancelled default areceive took after its caller had gone.
        self._kept: list[tuple[str, Message]] = []
        # Process prefixes whose membership notes this process reads (see membership.py).
        self._note_owners: set[str] = set()

    # -- shared pure parts ------------------------------------------------------------------

    def encode(self, channel: str, message: Message) -> bytes:
        """Validate a send and return the encoded message."""
        check_channel_name(channel)
        return encode_message(message, self.max_message_size)

    def encode_group_send(self, group: str, message: Message) -> bytes:
        """Validate a group send and return the encoded message."""
        check_group_name(group)
        return encode_message(message, self.max_message_size)

    def count(self, counter: str, amount: int = 1, queue: str | None = None) -> None:
        """Add ``amount`` to one of this layer's statistics counters (and, given the
        ``queue`` it happened on, to that queue's count in :attr:`tally`)."""
        with self._counters_lock:
            self._counters[counter] += amount
        if queue is not None:
            self.tally.add(counter, queue, amount)

    def channel_full(self, channel: str, capacity: int) -> ChannelLayerError:
        """Count a refused send and return the exception to raise."""
        self.count("channel_full_count", queue=queue_name(channel))
        return ChannelFull(
            f"channel {channel!r} is full ({capacity} messages waiting); retry later, or raise "
            "its capacity with channel_capacity"
        )

    def report_group_skips(self, group: str, skipped: list[str]) -> None:
        """Count and log members that ``send_group`` skipped because they were full."""
        if not skipped:
            return
        self.count("group_send_skipped", len(skipped))
        for member in skipped:
            self.tally.add("channel_full_count", queue_name(member))
        more = f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
        shown = ", ".join(skipped[:5]) + more
        logger.warning("send_group(%r) skipped %d full member(s): %s", group, len(skipped), shown)

    def global_statistics(self) -> dict[str, int]:
        """Counters of what this layer object has done since it was made."""
        with self._counters_lock:
            return dict(self._counters)

    # -- the contract -----------------------------------------------------------------------

    @abc.abstractmethod
    def send(self, channel: str, message: Message) -> None:
        """Put ``message`` on ``channel``; raise ``ChannelFull`` if it is at capacity."""

    @abc.abstractmethod
    def receive(
        self, channels: Iterable[str], block: bool = False, timeout: float | None = None
    ) -> Received:
        """Take the next message from one of ``channels``: ``(channel, message)`` or
        ``(None, None)``. With ``block``, wait up to ``timeout`` (default ``block_timeout``)."""

    def receive_many(
        self,
        channels: Iterable[str],
        max_count: int,
        block: bool = False,
        timeout: float | None = None,
    ) -> list[tuple[str, Message]]:
        """Take up to ``max_count`` messages from ``channels`` (see "Batches" above): an
        empty list when there is none, after waiting up to ``timeout`` with ``block``."""
        names = check_receive_names(channels)
        check_max_count(max_count)
        return self._topped_up(names, self.receive(names, block, timeout), max_count)

    def _topped_up(
        self, names: list[str], first: Received, max_count: int
    ) -> list[tuple[str, Message]]:
        """``first`` (what a receive returned) and up to ``max_count - 1`` more messages
        already waiting, taken with non-blocking receives."""
        taken: list[tuple[str, Message]] = []
        channel, message = first
        while channel is not None and message is not None:
            taken.append((channel, message))
            if len(taken) == max_count:
                break
            channel, message = self.receive(names)
        return taken

    def send_many(self, items: Sequence[tuple[str, Message]]) -> list[SendResult]:
        """Send ``(channel, message)`` items in order; one result per item (see "Batches"
        above): None if sent, the ``ChannelFull`` error if its queue was full."""
        for channel, message in items:
            self.encode(channel, message)  # every item is valid before any is sent
        results: list[SendResult] = []
        refused: set[str] = set()
        for channel, message in items:
            queue = queue_name(channel)
            if queue in refused:
                results.append(self.channel_full(channel, self.capacities.of(queue)))
                continue
            try:
                self.send(channel, message)
            except ChannelFull as exc:
                refused.add(queue)
                results.append(exc)
            else:
                results.append(None)
        return results

    def new_channel(self, pattern: str) -> str:
        """Return a new, unused channel name: ``pattern`` (ending ``!`` or ``?``) plus a
        random local part."""
        return make_channel_name(pattern)

    @abc.abstractmethod
    def group_add(self, group: str, channel: str) -> None:
        """Add ``channel`` to ``group`` (again: renews its membership)."""

    @abc.abstractmethod
    def group_discard(self, group: str, channel: str) -> None:
        """Remove ``channel`` from ``group``; no error if it was not a member."""

    @abc.abstractmethod
    def send_group(self, group: str, message: Message) -> None:
        """Send ``message`` to every member of ``group``, skipping (and counting) full ones."""

    @abc.abstractmethod
    def group_channels(self, group: str) -> list[str]:
        """The current members of ``group``."""

    @abc.abstractmethod
    def flush(self) -> None:
        """Delete every message and group of this layer."""

    @abc.abstractmethod
    def channel_statistics(self, channel: str) -> dict[str, Any]:
        """``messages_pending``, ``oldest_message_age`` and ``capacity`` of a channel's queue."""

    # -- membership notes (channels.layers.membership) ---------------------------------------

    def own_memberships(self, prefix: str) -> None:
        """Receive the membership notes of ``prefix``'s channels: called (and repeated while
        it runs) by the interface server that owns those connections. Other processes never
        get notes for their prefixes."""
        self._note_owners.add(prefix)

    async def aown_memberships(self, prefix: str) -> None:
        """Async :meth:`own_memberships`."""
        self.own_memberships(prefix)

    async def aowns_memberships(self, prefix: str) -> bool | None:
        """Whether this process's claim to ``prefix`` is still in the store: False once the
        store lost it (restarted empty), None for a layer that cannot tell."""
        return None

    def unwanted_note(self, channel: str) -> bool:
        """True for a membership note that no receive of this process asked for (a layer's
        receive drops it and carries on)."""
        return is_note(channel) and queue_name(channel) not in self._note_owners

    def tell_owner(self, op: str, group: str, channel: str) -> None:
        """After a membership change: send the note to ``channel``'s process if it owns its
        prefix. This default serves layers within one process, whose owners registered on
        this very object; a cross-process layer overrides it (and the owner registry)."""
        note = note_for(op, group, channel)
        if note is not None and queue_name(channel) in self._note_owners:
            try:
                self.send(*note)
            except ChannelFull:
                logger.warning("membership note for %s dropped: %s is full", channel, note[0])

    async def atell_owner(self, op: str, group: str, channel: str) -> None:
        """Async :meth:`tell_owner`."""
        self.tell_owner(op, group, channel)

    def store_epoch(self) -> Any:
        """A value that changes when the layer's store lost its data (a restarted or
        failed-over server), or None if this layer cannot tell. The interface server
        compares it over time to know when to put its sockets' memberships back."""
        return None

    async def astore_epoch(self) -> Any:
        """Async :meth:`store_epoch`."""
        if not self.detects_store_loss:
            return None
        return await asyncio.to_thread(self.store_epoch)

    def watch_outages(self, watcher: OutageWatcher) -> None:  # noqa: B027 - optional
        """Call ``watcher(server, reachable)`` when this layer's receives lose the store and
        when they reach it again (see :class:`~channels.layers.outages.Outages`); a layer
        with nothing to lose (this default) never calls it."""

    def unwatch_outages(self, watcher: OutageWatcher) -> None:  # noqa: B027 - optional
        """Stop calling ``watcher``."""

    def check(self) -> None:  # noqa: B027 - optional: a layer with nothing to reach
        """Reach the layer's store once: raise
        :class:`~channels.exceptions.ChannelLayerAuthenticationError` if it refuses the
        layer's credentials, :class:`~channels.exceptions.ChannelLayerUnavailable` if it
        cannot be reached now. ``runworker`` calls it at start."""

    def close(self) -> None:  # noqa: B027 - optional: a layer with nothing to release
        """Release connections and threads; the layer is not used afterwards."""

    # -- retractable sends ----------------------------------------------------------------

    def send_retractable(self, channel: str, message: Message) -> Any:
        """:meth:`send`, returning a receipt that :meth:`retract` takes to remove the
        message again while nobody has received it (None: this layer cannot retract)."""
        self.send(channel, message)
        return None

    def retract(self, channel: str, receipt: Any) -> bool:
        """Remove a message sent with :meth:`send_retractable` if it is still waiting on
        ``channel``; True if it was, so no receiver will ever get it."""
        return False

    async def asend_retractable(self, channel: str, message: Message) -> Any:
        """Async :meth:`send_retractable`."""
        await self.asend(channel, message)
        return None

    async def aretract(self, channel: str, receipt: Any) -> bool:
        """Async :meth:`retract`."""
        return False

    # -- async twins: run the sync method in a thread unless a layer has native ones -------

    async def asend(self, channel: str, message: Message) -> None:
        """Async :meth:`send`."""
        await asyncio.to_thread(self.send, channel, message)

    async def areceive(
        self, channels: Iterable[str], block: bool = False, timeout: float | None = None
    ) -> Received:
        """Async :meth:`receive`.

        This default runs :meth:`receive` in a thread. If the caller is cancelled while the
        thread is still receiving, a message the thread then takes is kept and returned by
        the next ``areceive`` on that channel, never lost.
        """
        names = check_receive_names(channels)
        kept = self._take_kept(names)
        if kept is not None:
            return kept
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(None, self.receive, names, block, timeout)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            future.add_done_callback(self._keep)
            raise

    async def areceive_many(
        self,
        channels: Iterable[str],
        max_count: int,
        block: bool = False,
        timeout: float | None = None,
    ) -> list[tuple[str, Message]]:
        """Async :meth:`receive_many`.

        This default awaits :meth:`areceive` for the first message, then takes the others
        with non-blocking :meth:`receive` calls in place: no await between taking a message
        and returning it, so a cancel never loses one. A layer whose non-blocking receive
        waits on a network overrides it.
        """
        names = check_receive_names(channels)
        check_max_count(max_count)
        return self._topped_up(names, await self.areceive(names, block, timeout), max_count)

    async def asend_many(self, items: Sequence[tuple[str, Message]]) -> list[SendResult]:
        """Async :meth:`send_many`."""
        return await asyncio.to_thread(self.send_many, items)

    def _keep(self, future: asyncio.Future[Received]) -> None:
        if not future.cancelled() and future.exception() is None:
            channel, message = future.result()
            if channel is not None and message is not None:
                with self._counters_lock:
                    self._kept.append((channel, message))

    def _take_kept(self, names: list[str]) -> Received | None:
        if not self._kept:
            return None
        with self._counters_lock:
            for index, (channel, message) in enumerate(self._kept):
                if queue_name(channel) in names:
                    del self._kept[index]
                    return channel, message
        return None

    async def anew_channel(self, pattern: str) -> str:
        """Async :meth:`new_channel`."""
        return self.new_channel(pattern)

    async def agroup_add(self, group: str, channel: str) -> None:
        """Async :meth:`group_add`."""
        await asyncio.to_thread(self.group_add, group, channel)

    async def agroup_discard(self, group: str, channel: str) -> None:
        """Async :meth:`group_discard`."""
        await asyncio.to_thread(self.group_discard, group, channel)

    async def asend_group(self, group: str, message: Message) -> None:
        """Async :meth:`send_group`."""
        await asyncio.to_thread(self.send_group, group, message)

    async def agroup_channels(self, group: str) -> list[str]:
        """Async :meth:`group_channels`."""
        return await asyncio.to_thread(self.group_channels, group)

    async def aflush(self) -> None:
        """Async :meth:`flush`."""
        await asyncio.to_thread(self.flush)

    async def achannel_statistics(self, channel: str) -> dict[str, Any]:
        """Async :meth:`channel_statistics`."""
        return await asyncio.to_thread(self.channel_statistics, channel)

    async def aclose(self) -> None:
        """Async :meth:`close`."""
        await asyncio.to_thread(self.close)

    def __repr__(self) -> str:
        return f"<{type(self).__qualname__} expiry={self.expiry} group_expiry={self.group_expiry}>"


def check_max_count(max_count: int) -> int:
    """``max_count`` of a ``receive_many``: a positive int, else ``ValueError``."""
    if type(max_count) is not int or max_count < 1:
        raise ValueError(f"max_count must be a positive int, got {max_count!r}")
    return max_count
