"""What a worker does with one message: route it, run its consumer between the
``consumer_started``/``consumer_finished`` signals, count it, and react to its error.

:class:`MessageDispatch` is a part of :class:`~channels.worker.Worker` (which schedules:
threads, the event loop, receiving and shutdown); it reads the worker's ``router``,
``channel_layer``, ``reactions``, ``meter`` and event loop.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from typing import Any

from asgiref.sync import sync_to_async

from .concurrency import await_from_thread
from .message import Message, pending_message_store
from .reactions import describe, retries_left
from .signals import consumer_finished, consumer_started

logger = logging.getLogger("channels.worker")


class MessageDispatch:
    """Routing and running one message (a part of the worker)."""

    router: Any
    channel_layer: Any
    reactions: Any
    meter: Any
    callback: Any
    message_retries: int
    dropped_late: int
    _loop: asyncio.AbstractEventLoop | None

    def _route(
        self, channel: str, content: dict[str, Any]
    ) -> tuple[Message, Any, dict[str, Any]] | None:
        """The message, its consumer and kwargs; None (logged) when nothing routes it."""
        if channel == "http.request" and time.time() > content.get("deadline", float("inf")):
            # Its interface server has answered 503 already, or its client left.
            self.dropped_late += 1
            logger.debug("dropped an http.request for %r past its deadline", content.get("path"))
            return None
        try:
            message = Message(content, channel, self.channel_layer)
            message.retries_left = retries_left(content, self.message_retries)
            found = self.router.match(message)
        except Exception:
            logger.error(
                "could not route a message on %r; dropped",
                channel,
                exc_info=True,
                extra={"channel": channel},
            )
            return None
        if found is None:
            path = content.get("path")
            logger.error(
                "no route for a message on %r%s; dropped. Add a route for it to ROUTING",
                channel,
                f" with path {path!r}" if path is not None else "",
                extra={"channel": channel, "reply_channel": content.get("reply_channel")},
            )
            return None
        consumer, kwargs = found
        self.meter.received(channel)
        if self.callback is not None:
            try:
                self.callback(channel, message)
            except Exception:
                logger.error("worker callback failed for %r", channel, exc_info=True)
        logger.debug("%s -> %s", channel, describe(consumer))
        return message, consumer, kwargs

    # -- running one consumer ---------------------------------------------------------------

    def _run_sync(self, message: Message, consumer: Any, kwargs: dict[str, Any]) -> None:
        """In a pool thread: signals, the consumer, the flush, then the reaction to an error."""
        started = self.meter.begin(message.channel.name, _reply_name(message), describe(consumer))
        error: Exception | None = None
        try:
            consumer_started.send(sender=type(self), environ={})
            result = consumer(message, **kwargs)
            if inspect.isawaitable(result):
                assert self._loop is not None
                await_from_thread(result, self._loop)
        except Exception as exc:
            error = exc
        finally:
            try:
                consumer_finished.send(sender=type(self))
            except Exception:
                logger.error(
                    "after %s on %r:", describe(consumer), message.channel.name, exc_info=True
                )
        self.meter.consumed(message.channel.name, started, error, _reply_name(message))
        if error is not None:
            self.reactions.react(message, consumer, error)

    async def _run_async(self, message: Message, consumer: Any, kwargs: dict[str, Any]) -> None:
        """On the loop: as :meth:`_run_sync`; the signals go through ``sync_to_async`` so
        their database work happens where the consumer's ``sync_to_async`` ORM calls do."""
        started = self.meter.begin(message.channel.name, _reply_name(message), describe(consumer))
        error: Exception | None = None
        try:
            pending_message_store.prepare()
            await sync_to_async(consumer_started.send)(sender=type(self), environ={})
            result = consumer(message, **kwargs)
            if inspect.isawaitable(result):
                await result
        except Exception as exc:
            error = exc
        finally:
            try:
                await sync_to_async(consumer_finished.send)(sender=type(self))
            except Exception:
                logger.error(
                    "after %s on %r:", describe(consumer), message.channel.name, exc_info=True
                )
        self.meter.consumed(message.channel.name, started, error, _reply_name(message))
        if error is not None:
            await asyncio.to_thread(self.reactions.react, message, consumer, error)


def _reply_name(message: Message) -> str | None:
    return None if message.reply_channel is None else message.reply_channel.name


__all__ = ["MessageDispatch"]
