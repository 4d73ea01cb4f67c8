"""``@enforce_ordering``: the messages of one socket run in ``order`` sequence, however many
workers there are.

A message that comes early waits on a wait channel of its own (one per socket and position)
for its turn and is put back on the channel it came from when the message before it has
finished, with that consumer's sends gone out first. It implies ``@channel_session``, which
keeps the socket's next expected position (:data:`NEXT_ORDER_KEY`). Importable from
:mod:`channels.sessions`, as in 1.x.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from .exceptions import ChannelFull
from .layers.patience import send_patiently
from .message import Message
from .pending import pending_message_store
from .reactions import puts_back
from .session_decorators import (
    SKIP,
    around,
    channel_session,
    channel_session_key,
    save_channel_session,
    session_for_reply_channel,
)

# Ordering has always logged as part of the sessions.
logger = logging.getLogger("channels.sessions")

F = TypeVar("F", bound=Callable[..., Any])

#: Where ``enforce_ordering`` keeps the next expected ``order`` in the channel session.
NEXT_ORDER_KEY = "__channels_next_order"
#: How long a park or requeue that meets ``ChannelFull`` keeps retrying (seconds).
REQUEUE_PATIENCE = 2.0


def _send_patiently(layer: Any, channel: str, content: dict[str, Any], what: str) -> None:
    if not send_patiently(layer.send, channel, content, patience=REQUEUE_PATIENCE):
        raise ChannelFull(
            f"enforce_ordering could not {what}: {channel!r} stayed full for "
            f"{REQUEUE_PATIENCE} s. Run more workers or raise its capacity"
        )


def wait_channel_name(reply_channel: str, order: int) -> str:
    """Where a message with ``order`` waits for its turn on the socket of ``reply_channel``.

    One channel per socket and position: when message ``n`` finishes, the message that can
    run next is the only one on ``wait_channel_name(reply, n + 1)``, so nothing waiting is
    moved around more than once. Process-specific reply names (``...!abc``) become
    single-reader names (``...?abc``) that any worker can receive from.
    """
    return f"__wait__.{reply_channel.replace('!', '?')}.{order}"


def _order_of(message: Message) -> int:
    if "order" not in message.content:
        raise ValueError(
            f"enforce_ordering needs messages with an 'order' key; the message on "
            f"{message.channel.name!r} has keys {sorted(message.content)!r}. Only "
            "websocket.connect/receive/disconnect carry one: decorate only those consumers"
        )
    try:
        return int(message.content["order"])
    except (TypeError, ValueError):
        raise ValueError(
            f"enforce_ordering: 'order' must be an integer, got {message.content['order']!r}"
        ) from None


def requeue_messages(message: Message, order: int | None = None) -> int:
    """Put the message waiting for position ``order`` (default: the session's next order)
    of ``message``'s socket back on the channel it came from; returns how many moved."""
    assert message.reply_channel is not None
    if order is None:
        order = int(message.channel_session.get(NEXT_ORDER_KEY, 0))
    layer = message.channel_layer
    wait = wait_channel_name(message.reply_channel.name, order)
    moved = 0
    while True:
        channel, content = layer.receive([wait], block=False)
        if channel is None:
            return moved
        original = content.pop("original_channel", None) or message.channel.name
        _send_patiently(layer, original, content, f"put a waiting message back on {original!r}")
        moved += 1


def _ordering_before(message: Message) -> Any:
    order = _order_of(message)
    session = message.channel_session
    expected = int(session.get(NEXT_ORDER_KEY, 0))
    if order == expected:
        return order
    reply = message.reply_channel.name  # type: ignore[union-attr]
    if order < expected:
        logger.warning(
            "dropping a message on %r with order %d for %s: that position already ran",
            message.channel.name,
            order,
            reply,
        )
        return SKIP
    content = dict(message.content)
    content["original_channel"] = message.channel.name
    _send_patiently(
        message.channel_layer, wait_channel_name(reply, order), content, "park a message"
    )
    # The message before it may have finished between our read and our park; it then found
    # nothing to requeue, so whoever sees the session move on does it.
    if int(session_for_reply_channel(reply).get(NEXT_ORDER_KEY, 0)) == order:
        requeue_messages(message, order)
    return SKIP


def _ordering_after(message: Message, order: int, error: BaseException | None) -> None:
    if puts_back(message, error):
        return  # the worker runs it again: its turn is not over
    # The consumer's own sends go out before the next message may run, so replies keep
    # the order of the messages they answer.
    if pending_message_store.active:
        pending_message_store.send_and_flush()
        pending_message_store.prepare()
    session = message.channel_session
    session[NEXT_ORDER_KEY] = order + 1
    save_channel_session(session, channel_session_key(message.reply_channel.name))  # type: ignore[union-attr]
    requeue_messages(message, order + 1)


def enforce_ordering(func: F | None = None, *, slight: bool = False) -> Any:
    """Run the consumers of one socket's messages in ``order`` sequence, with any number of
    workers. Implies :func:`channel_session`. Use bare or called: ``@enforce_ordering``,
    ``@enforce_ordering()``.

    A message that comes early waits on the socket's wait channel for its position and is put
    back on its channel when the message before it has finished (and that consumer's sends
    have gone out). A message whose position already ran is dropped with a warning.
    """
    if slight:
        raise ValueError(
            "enforce_ordering(slight=True) no longer exists: slight ordering was removed in "
            "channels 1.0. Use @enforce_ordering for full ordering"
        )
    if func is None:
        return enforce_ordering
    return channel_session(around(func, "enforce_ordering", _ordering_before, _ordering_after))


__all__ = ["NEXT_ORDER_KEY", "enforce_ordering", "requeue_messages", "wait_channel_name"]
