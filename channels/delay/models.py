"""``DelayedMessage``: one message waiting in the database for its due date.

The content is stored as the msgpack bytes the channel layers use (a ``BinaryField``), not
as JSON: messages may carry ``bytes``, and msgpack gives them back exactly as they were sent
(str stays str, bytes stays bytes), which JSON cannot.
"""

from __future__ import annotations

import datetime
import logging
import math
from typing import Any

from django.db import models, router, transaction
from django.utils import timezone

from ..exceptions import ChannelFull, MessageTooLarge
from ..layers.codec import decode_message, encode_message
from ..layers.names import check_channel_name
from . import DEFAULT_REQUEUE_DELAY

logger = logging.getLogger("channels.delay")

#: The size limit of a stored content when the layer does not say its own.
DEFAULT_MAX_SIZE = 1024 * 1024


class InvalidDelayMessage(ValueError):
    """A message on ``asgi.delay`` that is not ``{"channel", "delay", "content"}``."""


def _check_delay(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidDelayMessage(
            f"'delay' must be a number of milliseconds, got {type(value).__name__}: {value!r}"
        )
    if value < 0:
        raise InvalidDelayMessage(f"'delay' must not be negative, got {value!r} ms")
    return float(value)


class DelayedMessageQuerySet(models.QuerySet["DelayedMessage"]):
    """Queries over delayed messages."""

    def is_due(self) -> DelayedMessageQuerySet:
        """The messages whose due date has come (``due_date <= now``)."""
        return self.filter(due_date__lte=timezone.now())


class DelayedMessage(models.Model):
    """A message to send to ``channel_name`` at ``due_date``.

    ``content`` holds the message as msgpack bytes; read and write it through
    :meth:`get_content` / :meth:`set_content`. Setting :attr:`delay` (milliseconds) sets the
    due date that far from now.
    """

    due_date = models.DateTimeField(db_index=True)
    channel_name = models.CharField(max_length=512)
    content = models.BinaryField()

    objects = DelayedMessageQuerySet.as_manager()

    class Meta:
        # Explicit, so that importing this module early never files the model under the
        # "channels" app (the closest installed package) instead.
        app_label = "channels_delay"
        verbose_name = "delayed message"
        verbose_name_plural = "delayed messages"

    def __str__(self) -> str:
        return f"message for {self.channel_name!r} due {self.due_date.isoformat()}"

    # -- content and due date ---------------------------------------------------------------

    def get_content(self) -> dict[str, Any]:
        """The message to send, as a dict."""
        return decode_message(bytes(self.content))

    def set_content(self, content: dict[str, Any], max_size: int = DEFAULT_MAX_SIZE) -> None:
        """Store ``content``; ``TypeError``/``MessageTooLarge`` if a layer could not send it."""
        self.content = encode_message(content, max_size)

    @property
    def delay(self) -> int:
        """Milliseconds from now until the due date (negative once it passed)."""
        return round((self.due_date - timezone.now()).total_seconds() * 1000)

    @delay.setter
    def delay(self, milliseconds: float) -> None:
        self.due_date = timezone.now() + datetime.timedelta(milliseconds=milliseconds)

    @classmethod
    def from_message(
        cls,
        message: Any,
        max_size: int = DEFAULT_MAX_SIZE,
        now: datetime.datetime | None = None,
    ) -> DelayedMessage:
        """An unsaved row for an ``asgi.delay`` message, due ``delay`` ms after ``now``
        (default: the current time).

        Raises :class:`InvalidDelayMessage` saying what is wrong with it.
        """
        if not isinstance(message, dict):
            raise InvalidDelayMessage(f"expected a dict, got {type(message).__name__}")
        missing = [key for key in ("channel", "delay", "content") if key not in message]
        if missing:
            raise InvalidDelayMessage(
                f"missing {', '.join(map(repr, missing))}; an asgi.delay message is "
                "{'channel': name, 'delay': milliseconds, 'content': {...}}"
            )
        delay = _check_delay(message["delay"])
        try:
            channel = check_channel_name(message["channel"])
        except (TypeError, ValueError) as exc:
            raise InvalidDelayMessage(f"bad 'channel': {exc}") from None
        content = message["content"]
        if not isinstance(content, dict):
            raise InvalidDelayMessage(
                f"'content' must be a dict, got {type(content).__name__}: {content!r}"
            )
        start = timezone.now() if now is None else now
        row = cls(channel_name=channel, due_date=start + datetime.timedelta(milliseconds=delay))
        try:
            row.set_content(content, max_size)
        except (TypeError, MessageTooLarge) as exc:
            raise InvalidDelayMessage(f"bad 'content': {exc}") from None
        return row

    # -- sending ----------------------------------------------------------------------------

    def send(self, channel_layer: Any = None, requeue_delay: float = DEFAULT_REQUEUE_DELAY) -> bool:
        """Send the message now and delete the row; True if this call delivered it.

        The row is deleted and the message sent inside one transaction, so that several
        delay servers never both send it: the delete's row count says who claimed it, and a
        crash before the commit puts the row back (the message is sent again rather than
        lost). On ``ChannelFull`` the row stays, due ``requeue_delay`` ms later, and False is
        returned. Other errors of the layer propagate with the row kept as it was.
        """
        if channel_layer is None:
            from ..asgi import channel_layers

            channel_layer = channel_layers["default"]
        model = type(self)
        using = router.db_for_write(model, instance=self)
        content = self.get_content()
        try:
            with transaction.atomic(using=using):
                rows = model.objects.using(using).filter(pk=self.pk)
                if _connection_skips_locked(using):
                    # Skip a row another server is sending right now instead of waiting.
                    locked = rows.select_for_update(skip_locked=True).values_list("pk", flat=True)
                    if not list(locked):
                        return False
                claimed, _ = model.objects.using(using).filter(pk=self.pk).delete()
                if not claimed:
                    return False
                channel_layer.send(self.channel_name, content)
        except ChannelFull:
            self.delay = requeue_delay
            model.objects.using(using).filter(pk=self.pk).update(due_date=self.due_date)
            logger.warning(
                "channel %r is full; its delayed message is retried in %s ms",
                self.channel_name,
                requeue_delay,
            )
            return False
        return True


def _connection_skips_locked(using: str) -> bool:
    from django.db import connections

    return bool(connections[using].features.has_select_for_update_skip_locked)


__all__ = ["DelayedMessage", "DelayedMessageQuerySet", "InvalidDelayMessage"]
