"""The delay server: stores ``asgi.delay`` messages and sends each when it is due.

Two threads. A receive thread blocks on ``asgi.delay`` and hands each message over with the
time it arrived. The loop, in the thread that calls :meth:`Worker.run`:

1. sends every stored message that is due (oldest first);
2. waits for the next message handed over, until the next due date or
   ``database_sleep_duration`` seconds, whichever comes first; a message received is
   validated and stored, due ``delay`` ms after its arrival, and shortens the next wait if
   it is sooner.

So the server sleeps (no polling loop) and wakes on time. The ``database_sleep_duration``
cap is there for rows it did not store itself (another ``rundelay`` process, a restart):
they are seen at the latest that long after they were due.

**Several servers** may run against one database: a row is claimed by deleting it in the
transaction that sends it (see :meth:`DelayedMessage.send`), so each message goes out once.

**Failures.** An invalid message is logged and skipped. A due message meeting ``ChannelFull``
stays stored and is retried ``requeue_delay`` ms later; one the layer can never carry is
logged and deleted. Database and layer outages are logged and retried; a received message
that cannot be stored is put back on ``asgi.delay``.

**Stopping.** :meth:`Worker.stop`, SIGTERM or SIGINT end the loop at its next wake-up and
the receive thread once its receive in progress returns (each at most
``database_sleep_duration`` seconds); a message taken from the layer is always stored
before the server exits.
"""

from __future__ import annotations

import datetime
import logging
import queue
import signal
import threading
import time
from typing import Any

from django.db import DatabaseError, close_old_connections, router, transaction
from django.utils import timezone

from ..exceptions import MessageTooLarge
from ..layers.patience import pauses
from . import DEFAULT_REQUEUE_DELAY, DELAY_CHANNEL
from .models import DEFAULT_MAX_SIZE, DelayedMessage, InvalidDelayMessage

logger = logging.getLogger("channels.delay")

#: How long a received message is retried against the database before it is put back.
STORE_RETRY_FOR = 10.0
#: Due messages handled per database query, and queries per round.
BATCH_SIZE = 100
MAX_BATCHES = 10
#: The shortest wait before another round when due messages were left unsent (claimed by
#: another server, or the database busy), so that the loop never spins.
MIN_RETRY_WAIT = datetime.timedelta(milliseconds=50)


class Worker:
    """Runs the delay protocol on ``channel_layer`` (default: the ``default`` layer).

    ``database_sleep_duration`` (seconds) caps each wait on the layer, so rows stored by
    another process are picked up at most that late; ``requeue_delay`` (ms) is how long a
    message waits after meeting ``ChannelFull``.
    """

    def __init__(
        self,
        channel_layer: Any = None,
        signal_handlers: bool = True,
        database_sleep_duration: float = 1.0,
        requeue_delay: float = DEFAULT_REQUEUE_DELAY,
    ) -> None:
        if channel_layer is None:
            from ..asgi import channel_layers

            channel_layer = channel_layers["default"]
        if (
            isinstance(database_sleep_duration, bool)
            or not isinstance(database_sleep_duration, int | float)
            or database_sleep_duration <= 0
        ):
            raise ValueError(
                "database_sleep_duration must be a positive number of seconds, got "
                f"{database_sleep_duration!r}"
            )
        self.channel_layer = channel_layer
        self.signal_handlers = signal_handlers
        self.database_sleep_duration = float(database_sleep_duration)
        self.requeue_delay = requeue_delay
        self.max_size = getattr(channel_layer, "max_message_size", DEFAULT_MAX_SIZE)
        #: True once the server was asked to stop.
        self.termed = False
        self._stopped = threading.Event()
        #: Set once the loop receives (for tests and embedding code).
        self.listening = threading.Event()

    def stop(self) -> None:
        """Ask the server to stop, from any thread (or a signal handler)."""
        self.termed = True
        self._stopped.set()

    def _on_signal(self, signum: int, frame: Any) -> None:
        logger.info("%s: stopping the delay server", signal.Signals(signum).name)
        self.stop()

    def run(self) -> None:
        """Store and send delayed messages until stopped."""
        previous: dict[signal.Signals, Any] = {}
        if self.signal_handlers and threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                previous[signum] = signal.signal(signum, self._on_signal)
        try:
            self._loop()
        finally:
            for signum_back, handler in previous.items():
                signal.signal(signum_back, handler)
            close_old_connections()
            logger.info("delay server stopped")

    def _loop(self) -> None:
        # The receive runs in a thread of its own and hands messages over through a queue:
        # waiting on the queue wakes this loop on time to the millisecond, where a blocking
        # receive's own timeout may fire late (Redis handles those on its 100 ms clock).
        inbox: queue.Queue[tuple[datetime.datetime, Any]] = queue.Queue()
        receiver = threading.Thread(
            target=self._receive_into, args=(inbox,), name="channels-delay-receive", daemon=True
        )
        receiver.start()
        try:
            self._serve(inbox)
        finally:
            self.stop()
            receiver.join()
            # What the last receive brought in is stored before leaving: nothing is lost.
            while leftover := _drain(inbox, []):
                self.store(leftover)

    def _serve(self, inbox: queue.Queue[tuple[datetime.datetime, Any]]) -> None:
        next_poll = 0.0  # monotonic time of the next look at the database
        next_due: datetime.datetime | None = None  # soonest due date we know of
        while not self.termed:
            if time.monotonic() >= next_poll or (
                next_due is not None and timezone.now() >= next_due
            ):
                next_due = self.send_due()
                now = timezone.now()
                if next_due is not None and next_due <= now:
                    next_due = now + MIN_RETRY_WAIT
                next_poll = time.monotonic() + self.database_sleep_duration
                if not self.listening.is_set():
                    # Said once the database answered, so "listening" means ready to serve.
                    logger.info("delay server listening on %s", DELAY_CHANNEL)
                    self.listening.set()
            wait = next_poll - time.monotonic()
            if next_due is not None:
                wait = min(wait, (next_due - timezone.now()).total_seconds())
            if wait <= 0:
                continue
            try:
                first = inbox.get(timeout=wait)
            except queue.Empty:
                continue
            due = self.store(_drain(inbox, [first]))
            if due is not None and (next_due is None or due < next_due):
                next_due = due

    def _receive_into(self, inbox: queue.Queue[tuple[datetime.datetime, Any]]) -> None:
        """In the receive thread: block on ``asgi.delay``, hand each message over with the
        time it arrived, until the server stops."""
        failures = 0
        while not self.termed:
            try:
                channel, content = self.channel_layer.receive(
                    [DELAY_CHANNEL], block=True, timeout=self.database_sleep_duration
                )
            except Exception:
                failures += 1
                pause = min(0.1 * 2**failures, 5.0)
                logger.error(
                    "receiving on %s failed; retrying in %.1f s",
                    DELAY_CHANNEL,
                    pause,
                    exc_info=True,
                )
                self._stopped.wait(pause)
                continue
            failures = 0
            if channel is not None:
                inbox.put((timezone.now(), content))

    # -- the two halves -----------------------------------------------------------------------

    def store(self, received: list[tuple[datetime.datetime, Any]]) -> datetime.datetime | None:
        """Validate and save ``asgi.delay`` messages, each due ``delay`` ms after the time it
        was received; the soonest due date saved, or None if none was."""
        rows: list[DelayedMessage] = []
        kept: list[dict[str, Any]] = []
        for received_at, content in received:
            try:
                row = DelayedMessage.from_message(content, self.max_size, now=received_at)
            except InvalidDelayMessage as exc:
                logger.error("invalid message on %s skipped: %s", DELAY_CHANNEL, exc)
                continue
            rows.append(row)
            kept.append(content)
        if not rows:
            return None
        # The database is busy or away: nothing to wait on but time.
        waits = pauses(STORE_RETRY_FOR, first=0.05, longest=1.0)
        while True:
            try:
                # One transaction for a burst: one commit (and fsync) instead of one each.
                with transaction.atomic(using=router.db_for_write(DelayedMessage)):
                    DelayedMessage.objects.bulk_create(rows)
            except DatabaseError:
                close_old_connections()
                pause = next(waits, None)
                if pause is not None:
                    logger.warning("could not store delayed messages; retrying", exc_info=True)
                    time.sleep(pause)
                    continue
                for content in kept:
                    self._put_back(content)
                return None
            for row, content in zip(rows, kept, strict=True):
                logger.debug(
                    "stored a message for %r due in %s ms", row.channel_name, content["delay"]
                )
            return min(row.due_date for row in rows)

    def _put_back(self, content: dict[str, Any]) -> None:
        try:
            self.channel_layer.send(DELAY_CHANNEL, content)
        except Exception:
            logger.error(
                "could not store a delayed message for %r nor put it back; it is lost: %r",
                content.get("channel"),
                content,
                exc_info=True,
            )
        else:
            logger.error(
                "could not store a delayed message for %r in %s s; put it back on %s",
                content.get("channel"),
                STORE_RETRY_FOR,
                DELAY_CHANNEL,
            )

    def send_due(self) -> datetime.datetime | None:
        """Send every due message; the due date of the next one still waiting (or None)."""
        try:
            for _ in range(MAX_BATCHES):
                if self.termed:
                    break
                batch = list(
                    DelayedMessage.objects.is_due().order_by("due_date", "pk")[:BATCH_SIZE]
                )
                for row in batch:
                    self._send_one(row)
                if len(batch) < BATCH_SIZE:
                    break
            return (
                DelayedMessage.objects.order_by("due_date")
                .values_list("due_date", flat=True)
                .first()
            )
        except DatabaseError:
            logger.error("could not read delayed messages; retrying soon", exc_info=True)
            close_old_connections()
            return None

    def _send_one(self, row: DelayedMessage) -> None:
        try:
            if row.send(self.channel_layer, self.requeue_delay):
                late = (timezone.now() - row.due_date).total_seconds() * 1000
                logger.debug(
                    "sent a delayed message to %r, %.0f ms after due", row.channel_name, late
                )
        except (TypeError, ValueError, MessageTooLarge):
            logger.error(
                "the layer refuses the delayed message for %r; deleted it",
                row.channel_name,
                exc_info=True,
            )
            DelayedMessage.objects.filter(pk=row.pk).delete()
        except DatabaseError:
            # Most often another delay server holds the row (SQLite: "database is locked").
            logger.warning("could not claim a delayed message; retrying", exc_info=True)
        except Exception:
            logger.error(
                "could not send a delayed message to %r; retrying in %s ms",
                row.channel_name,
                self.requeue_delay,
                exc_info=True,
            )
            row.delay = self.requeue_delay
            DelayedMessage.objects.filter(pk=row.pk).update(due_date=row.due_date)


def _drain(
    inbox: queue.Queue[tuple[datetime.datetime, Any]], into: list[tuple[datetime.datetime, Any]]
) -> list[tuple[datetime.datetime, Any]]:
    """``into`` plus whatever waits in ``inbox`` (up to a batch)."""
    while len(into) < BATCH_SIZE:
        try:
            into.append(inbox.get_nowait())
        except queue.Empty:
            break
    return into


__all__ = ["Worker"]
