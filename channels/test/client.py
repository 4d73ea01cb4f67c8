"""``Client``: plays the interface server and the worker in a test, one message at a time.

::

    client = Client()
    client.send_and_consume("a_task_channel", {"value": 3})   # runs the routed consumer
    assert client.receive() == {...}                          # what it sent to reply_channel

``consume`` runs the routed consumer in the test's own thread (async consumers to
completion on a private event loop), between the ``consumer_started`` and
``consumer_finished`` signals, so sends made by the consumer go out when it returns, exactly
as under a worker. Use it inside a :class:`~channels.test.ChannelTestCase` so the layer is a
fresh in-memory one.
"""

from __future__ import annotations

import copy
import inspect
import secrets
import string
from typing import Any

from asgiref.sync import async_to_sync
from django.db import close_old_connections

from .. import DEFAULT_CHANNEL_LAYER
from ..asgi import channel_layers
from ..channel import Group
from ..exceptions import ChannelSocketException, DenyConnection
from ..message import Message
from ..signals import consumer_finished, consumer_started
from .oncommit import run_commit_callbacks

_LETTERS = string.ascii_letters


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


class Client:
    """A pretend connection on layer ``alias``, with its own ``reply_channel``.

    ``reply_channel`` may be given; by default it is a fresh plain name (no ``!``), so the
    test can read replies with ``receive()``.
    """

    def __init__(self, alias: str = DEFAULT_CHANNEL_LAYER, reply_channel: str | None = None):
        self.alias = alias
        self.reply_channel = reply_channel or (
            f"test.reply.{''.join(secrets.choice(_LETTERS) for _ in range(12))}"
        )

    @property
    def channel_layer(self) -> Any:
        """The layer wrapper of ``alias`` (looked up each time: test cases swap it)."""
        return channel_layers[self.alias]

    def get_next_message(self, channel: str) -> Message | None:
        """The next message waiting on ``channel``, or None (never waits)."""
        run_commit_callbacks()  # under ChannelTestCase: what the test changed sends first
        received, content = self.channel_layer.receive([channel], block=False)
        if received is None:
            return None
        return Message(content, received, self.channel_layer)

    def get_consumer_by_channel(self, channel: str) -> Any:
        """The consumer routed for an empty text message on ``channel``, or None."""
        found = self.channel_layer.router.match(Message({"text": ""}, channel, self.channel_layer))
        return None if found is None else found[0]

    def send(self, to: str, content: dict[str, Any] | None = None) -> None:
        """Send ``content`` (copied; ``reply_channel`` added) to channel ``to`` at once."""
        content = copy.deepcopy(content or {})
        content.setdefault("reply_channel", self.reply_channel)
        self.channel_layer.send(to, content)

    def consume(self, channel: str, fail_on_none: bool = True) -> Any:
        """Take the next message on ``channel`` and run its routed consumer; returns what the
        consumer returned (for a consumer class, the instance).

        With nothing waiting or no route: ``AssertionError`` (or None when not
        ``fail_on_none``). ``DenyConnection`` closes the reply channel and
        ``ChannelSocketException`` runs, as under a worker; other exceptions (including
        ``ConsumeLater``) propagate to the test.
        """
        message = self.get_next_message(channel)
        if message is None:
            if fail_on_none:
                raise AssertionError(f"no message waiting on {channel!r} to consume")
            return None
        found = self.channel_layer.router.match(message)
        if found is None:
            if fail_on_none:
                raise AssertionError(
                    f"no route for the message on {channel!r}"
                    + (f" with path {message.get('path')!r}" if "path" in message else "")
                    + "; check the ROUTING or apply_routes()"
                )
            return None
        consumer, kwargs = found
        return self._run(consumer, message, kwargs)

    def _run(self, consumer: Any, message: Message, kwargs: dict[str, Any]) -> Any:
        result: Any = None
        socket_error: Exception | None = None
        # As Django's test client does: a test's connection (and its transaction) must survive.
        consumer_started.disconnect(dispatch_uid="channels.close_old_connections")
        consumer_finished.disconnect(dispatch_uid="channels.close_old_connections")
        try:
            consumer_started.send(sender=type(self), environ={})
            try:
                result = consumer(message, **kwargs)
                if inspect.isawaitable(result):
                    awaited = async_to_sync(_awaited)(result)
                    # A consumer class's instance is its own awaitable: keep the instance.
                    result = result if awaited is None else awaited
            except (DenyConnection, ChannelSocketException) as exc:
                socket_error = exc
            finally:
                # Under ChannelTestCase the consumer's on-commit callbacks (binding frames)
                # run now, as they would at once under a worker, and their sends are held.
                try:
                    run_commit_callbacks()
                finally:
                    consumer_finished.send(sender=type(self))
        finally:
            consumer_started.connect(
                close_old_connections, dispatch_uid="channels.close_old_connections"
            )
            consumer_finished.connect(
                close_old_connections, dispatch_uid="channels.close_old_connections"
            )
        # After the flush, as a worker does: the consumer's own sends go first.
        if isinstance(socket_error, DenyConnection):
            if message.reply_channel is not None:
                message.reply_channel.send({"close": True}, immediately=True)
        elif isinstance(socket_error, ChannelSocketException):
            socket_error.run(message)
        return result

    def send_and_consume(
        self, channel: str, content: dict[str, Any] | None = None, fail_on_none: bool = True
    ) -> Any:
        """:meth:`send` then :meth:`consume` on the same channel."""
        self.send(channel, content)
        return self.consume(channel, fail_on_none=fail_on_none)

    def receive(self) -> dict[str, Any] | None:
        """The next message sent to this client's ``reply_channel``, or None."""
        message = self.get_next_message(self.reply_channel)
        return None if message is None else message.content

    def join_group(self, name: str) -> None:
        """Add this client's ``reply_channel`` to group ``name``."""
        Group(name, channel_layer=self.channel_layer).add(self.reply_channel)


__all__ = ["Client"]
