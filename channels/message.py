"""``Message``, what a consumer receives, and the pending-message store behind consumer
atomicity.

**Consumer atomicity.** Sends made while a consumer runs (``Channel.send``, ``Group.send``)
are held back and go out together when it finishes, also when it raised: a consumer that
fails half-way does not leave half its messages behind it... unless it asked for
``immediately=True``, which sends at once. Group ``add``/``discard`` are never held back.

The store lives in a :class:`contextvars.ContextVar`, so it follows the code that runs the
consumer whether that is a worker thread or an asyncio task: two async consumers interleaved
on one event loop each flush only their own sends.
"""

from __future__ import annotations

import contextvars
import copy
import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .exceptions import ChannelFull
from .signals import consumer_finished, consumer_started

if TYPE_CHECKING:
    from .channel import Channel

logger = logging.getLogger("channels.message")


class Message:
    """One message taken from a channel, as passed to a consumer.

    ``content`` is the message dict, ``channel`` the :class:`~channels.channel.Channel` it came
    from, ``reply_channel`` a ``Channel`` for ``content["reply_channel"]`` (``None`` when the
    message has none), ``channel_layer`` the layer it came through. A test may build one
    with no channel name and no layer, ``Message(content, None, None)``: ``channel.name`` is
    then ``None`` and the layer that of the ``default`` alias. Reads like a dict:
    ``message["path"]``, ``"text" in message``, ``message.get("bytes")``. Decorators add
    attributes (``channel_session``, ``http_session``, ``user``).
    """

    def __init__(
        self, content: dict[str, Any], channel_name: str | None, channel_layer: Any
    ) -> None:
        from .channel import Channel  # channel.py needs this module's store: import late

        self.content = content
        # Consumer tests build messages by hand, ``Message(content, None, None)`` as in 1.x:
        # no channel name, and the layer of the default alias.
        self.channel = Channel(channel_name or "", channel_layer=channel_layer)
        if channel_name is None:
            self.channel.name = None  # type: ignore[assignment]
        self.channel_layer = channel_layer or self.channel.channel_layer
        reply = content.get("reply_channel")
        self.reply_channel: Channel | None = (
            Channel(reply, channel_layer=channel_layer) if reply else None
        )

    def __getitem__(self, key: str) -> Any:
        return self.content[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.content[key] = value

    def __contains__(self, key: object) -> bool:
        return key in self.content

    def keys(self) -> Any:
        """The content's keys."""
        return self.content.keys()

    def values(self) -> Any:
        """The content's values."""
        return self.content.values()

    def items(self) -> Any:
        """The content's items."""
        return self.content.items()

    def get(self, key: str, default: Any = None) -> Any:
        """``content.get(key, default)``."""
        return self.content.get(key, default)

    def copy(self) -> Message:
        """A new Message on the same channel with a deep copy of the content."""
        return type(self)(copy.deepcopy(self.content), self.channel.name, self.channel_layer)

    def __repr__(self) -> str:
        return f"<Message on {self.channel.name!r}: {sorted(self.content)!r}>"


#: How long a flush keeps retrying a send that meets ChannelFull, and how often.
FLUSH_RETRY_FOR = 2.0
FLUSH_RETRY_EVERY = 0.2

_pending: contextvars.ContextVar[list[tuple[Any, dict[str, Any]]] | None] = contextvars.ContextVar(
    "channels_pending_messages", default=None
)


class PendingMessageStore:
    """Holds the sends of the running consumer until it finishes.

    ``prepare()`` starts collecting (connected to ``consumer_started``); ``send_and_flush()``
    sends everything collected and stops collecting (connected to ``consumer_finished``).
    A send that meets ``ChannelFull`` is retried every 0.2 s for up to 2 s; then the flush
    carries on with the other sends and finally raises ``RuntimeError``.
    """

    @property
    def active(self) -> bool:
        """True while a consumer is running in this thread or task."""
        return _pending.get() is not None

    def prepare(self, **kwargs: Any) -> None:
        """Start collecting sends for the consumer about to run here."""
        _pending.set([])

    def append(self, sender: Any, content: dict[str, Any]) -> None:
        """Hold ``content`` for ``sender`` (a Channel or Group) until the flush."""
        pending = _pending.get()
        if pending is None:
            raise RuntimeError("no consumer is running here; send immediately instead")
        # Copied now, as a layer copies at send: later changes to the dict must not leak out.
        pending.append((sender, copy.deepcopy(content)))

    def __iter__(self) -> Iterator[tuple[Any, dict[str, Any]]]:
        return iter(_pending.get() or ())

    def send_and_flush(self, **kwargs: Any) -> None:
        """Send every held message in order, then stop collecting."""
        pending = _pending.get()
        _pending.set(None)
        if not pending:
            return
        failures: list[str] = []
        first_error: BaseException | None = None
        for sender, content in pending:
            try:
                self._send_with_retry(sender, content)
            except ChannelFull:
                failures.append(str(sender))
            except Exception as exc:  # MessageTooLarge, a dead layer: report, keep flushing
                logger.error("could not send a consumer's message to %s", sender, exc_info=True)
                first_error = first_error or exc
        if failures:
            raise RuntimeError(
                f"a consumer's messages to {', '.join(failures)} were dropped: the channel "
                f"stayed full for {FLUSH_RETRY_FOR} s. Raise the channel's capacity, run more "
                "consumers of it, or send with immediately=True and handle ChannelFull yourself"
            )
        if first_error is not None:
            raise first_error

    @staticmethod
    def _send_with_retry(sender: Channel | Any, content: dict[str, Any]) -> None:
        deadline = time.monotonic() + FLUSH_RETRY_FOR
        while True:
            try:
                sender.send(content, immediately=True)
                return
            except ChannelFull:
                if time.monotonic() >= deadline:
                    raise
                # Waiting for a consumer elsewhere to drain the channel; nothing to wait on.
                time.sleep(FLUSH_RETRY_EVERY)


#: The process's store; the worker sends the signals that drive it.
pending_message_store = PendingMessageStore()

consumer_started.connect(pending_message_store.prepare, dispatch_uid="channels.pending.prepare")
consumer_finished.connect(
    pending_message_store.send_and_flush, dispatch_uid="channels.pending.flush"
)

__all__ = ["Message", "PendingMessageStore", "pending_message_store"]
