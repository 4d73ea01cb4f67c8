"""The pending-message store behind consumer atomicity.

Sends made while a consumer runs (``Channel.send``, ``Group.send``) are held back and go out
together when it finishes, also when it raised: a consumer that fails half-way does not leave
half its messages behind it... unless it asked for ``immediately=True``, which sends at once.
Group ``add``/``discard`` are never held back.

The store lives in a :class:`contextvars.ContextVar`, so it follows the code that runs the
consumer whether that is a worker thread or an asyncio task: two async consumers interleaved
on one event loop each flush only their own sends. The worker's ``consumer_started`` and
``consumer_finished`` signals (:mod:`channels.signals`, the same tier) drive it.
"""

from __future__ import annotations

import contextvars
import copy
import functools
import logging
from collections.abc import Iterator
from typing import Any

from .exceptions import MessageTooLarge
from .layers.patience import send_patiently
from .signals import consumer_finished, consumer_started

logger = logging.getLogger("channels.message")

#: How long a flush keeps retrying a send that meets ChannelFull.
FLUSH_RETRY_FOR = 2.0

#: A held send: (sender, content, the channel name when the sender is one channel).
Held = tuple[Any, dict[str, Any], str | None]

_pending: contextvars.ContextVar[list[Held] | None] = contextvars.ContextVar(
    "channels_pending_messages", default=None
)


class PendingMessageStore:
    """Holds the sends of the running consumer until it finishes.

    ``prepare()`` starts collecting (connected to ``consumer_started``); ``send_and_flush()``
    sends everything collected and stops collecting (connected to ``consumer_finished``).
    A send that meets ``ChannelFull`` is retried with a backoff for up to 2 s
    (:func:`~channels.layers.patience.send_patiently`); then the flush carries on with the
    other sends and finally raises ``RuntimeError``.
    """

    @property
    def active(self) -> bool:
        """True while a consumer is running in this thread or task."""
        return _pending.get() is not None

    def prepare(self, **kwargs: Any) -> None:
        """Start collecting sends for the consumer about to run here."""
        _pending.set([])

    def append(self, sender: Any, content: dict[str, Any], *, channel: str | None = None) -> None:
        """Hold ``content`` for ``sender`` (a Channel or Group) until the flush. A Channel
        gives its ``channel`` name: held sends to channels of one layer go out together."""
        pending = _pending.get()
        if pending is None:
            raise RuntimeError("no consumer is running here; send immediately instead")
        # Copied now, as a layer copies at send: later changes to the dict must not leak out.
        pending.append((sender, copy.deepcopy(content), channel))

    def __iter__(self) -> Iterator[tuple[Any, dict[str, Any]]]:
        return iter([(sender, content) for sender, content, _ in _pending.get() or ()])

    def send_and_flush(self, **kwargs: Any) -> None:
        """Send every held message in order, then stop collecting.

        Consecutive channel sends on one layer go out as one ``send_many`` (one round trip
        per layer shard); those it reports full are then retried one by one, in order.
        """
        pending = _pending.get()
        _pending.set(None)
        if not pending:
            return
        failures: list[str] = []
        errors: list[BaseException] = []
        for run in _runs(pending):
            refused = _send_run(run) if len(run) > 1 else run
            for sender, content, _ in refused:
                _send_one(sender, content, failures, errors)
        if failures:
            raise RuntimeError(
                f"a consumer's messages to {', '.join(failures)} were dropped: the channel "
                f"stayed full for {FLUSH_RETRY_FOR} s. Raise the channel's capacity, run more "
                "consumers of it, or send with immediately=True and handle ChannelFull yourself"
            )
        if errors:
            raise errors[0]


def _runs(pending: list[Held]) -> Iterator[list[Held]]:
    """The held sends in order, cut into runs that one ``send_many`` can carry: consecutive
    channel sends on the same layer (any other send is a run of its own)."""
    run: list[Held] = []
    for held in pending:
        sender, _, channel = held
        batchable = channel is not None and hasattr(sender.channel_layer, "send_many")
        if run and not (batchable and run[0][0].channel_layer is sender.channel_layer):
            yield run
            run = []
        run.append(held)
        if not batchable:
            yield run
            run = []
    if run:
        yield run


def _send_run(run: list[Held]) -> list[Held]:
    """Send a run of channel sends with one ``send_many``; returns what is left to send one
    by one: the items refused as full (per queue, the tail of its items: order is kept),
    or the whole run when an item is invalid (nothing was sent; each send reports its own)."""
    layer = run[0][0].channel_layer
    try:
        results = layer.send_many([(channel, content) for _, content, channel in run])
    except (TypeError, ValueError, MessageTooLarge):
        return run
    return [held for held, result in zip(run, results, strict=True) if result is not None]


def _send_one(
    sender: Any, content: dict[str, Any], failures: list[str], errors: list[BaseException]
) -> None:
    try:
        send = functools.partial(sender.send, immediately=True)
        if not send_patiently(send, content, patience=FLUSH_RETRY_FOR):
            failures.append(str(sender))
    except Exception as exc:  # MessageTooLarge, a dead layer: report, keep flushing
        logger.error("could not send a consumer's message to %s", sender, exc_info=True)
        errors.append(exc)


#: The process's store; the worker sends the signals that drive it.
pending_message_store = PendingMessageStore()

consumer_started.connect(pending_message_store.prepare, dispatch_uid="channels.pending.prepare")
consumer_finished.connect(
    pending_message_store.send_and_flush, dispatch_uid="channels.pending.flush"
)

__all__ = ["FLUSH_RETRY_FOR", "PendingMessageStore", "pending_message_store"]
