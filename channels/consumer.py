"""Channels 4-style consumers: one instance per connection, messages dispatched by ``type``.

A consumer class is an ASGI application factory: ``MyConsumer.as_asgi()`` returns the ASGI
callable a router routes to. For each connection (scope) a new instance is made; it receives
the connection's events and, when a channel layer is configured, the messages sent to its own
``channel_name`` (directly or through ``groups``). Each message goes to the method named after
its ``type`` with ``.`` replaced by ``_``: ``websocket.receive`` → ``websocket_receive``,
``chat.message`` → ``chat_message``. A handler raises :class:`StopConsumer` to end the instance.

:class:`AsyncConsumer` runs handlers as coroutines on the server's event loop;
:class:`SyncConsumer` runs them in a thread (``database_sync_to_async``), so they may use the
ORM and block, and ``self.send`` is a plain call.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from asgiref.sync import async_to_sync

from . import (
    DEFAULT_CHANNEL_LAYER,
    layer_provider,  # noqa: F401 - installs get_channel_layer()'s provider
)
from .db import database_sync_to_async
from .exceptions import StopConsumer
from .layers.lookup import get_channel_layer

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]


def get_handler_name(message: Message) -> str:
    """The method that handles ``message``: its ``type`` with ``.`` → ``_``."""
    kind = message.get("type") if isinstance(message, dict) else None
    if not isinstance(kind, str) or not kind:
        raise ValueError(
            f"a consumer got a message without a 'type' string: {message!r}; every message "
            "sent to a consumer needs one (e.g. {'type': 'chat.message', ...})"
        )
    name = kind.replace(".", "_")
    if name.startswith("_"):
        raise ValueError(
            f"message type {kind!r} starts with '.' or '_'; such types would reach private "
            "methods, so they are refused"
        )
    return name


async def await_many_dispatch(
    receivers: list[Receive], dispatch: Callable[[Message], Awaitable[None]]
) -> None:
    """Receive from every callable at once, dispatching each message in arrival order, until
    ``dispatch`` raises (``StopConsumer`` ends a consumer). Pending receives are cancelled."""
    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(receive()) for receive in receivers]
    try:
        while True:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for index, task in enumerate(tasks):
                if task.done():
                    result = task.result()
                    await dispatch(result)
                    tasks[index] = loop.create_task(receivers[index]())
    finally:
        for task in tasks:
            task.cancel()
        # Wait for the cancellations, so no receive outlives its consumer.
        await asyncio.gather(*tasks, return_exceptions=True)


def check_initkwargs(cls: type, initkwargs: dict[str, Any]) -> None:
    """As Django's ``as_view()``: keyword arguments may only override class attributes."""
    for key, value in initkwargs.items():
        if not hasattr(cls, key):
            raise TypeError(
                f"{cls.__name__}.as_asgi() got {key}={value!r}, which is not an attribute of "
                f"{cls.__name__}; only class attributes can be set this way"
            )


class AsyncConsumer:
    """Base of Channels 4-style consumers whose handlers are coroutines.

    Attributes set for each connection: ``scope``, ``channel_layer`` (None without
    ``CHANNEL_LAYERS``), ``channel_name`` and ``channel_receive`` (with a layer).
    ``channel_layer_alias`` picks the layer (default ``"default"``).
    """

    _sync: ClassVar[bool] = False
    channel_layer_alias: ClassVar[str] = DEFAULT_CHANNEL_LAYER

    def __init__(self, **initkwargs: Any) -> None:
        check_initkwargs(type(self), initkwargs)
        for key, value in initkwargs.items():
            setattr(self, key, value)

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Any) -> None:
        """Run this instance for one connection until a handler raises ``StopConsumer``."""
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        if self.channel_layer is not None:
            self.channel_name = await self.channel_layer.new_channel()
            self.channel_receive = functools.partial(self.channel_layer.receive, self.channel_name)
        self.base_send = async_to_sync(send) if self._sync else send
        receivers: list[Receive] = [receive]
        if self.channel_layer is not None:
            receivers.append(self.channel_receive)
        with contextlib.suppress(StopConsumer):
            await await_many_dispatch(receivers, self.dispatch)

    def handler_of(self, message: Message) -> Callable[[Message], Any]:
        """The bound method for ``message``'s type, or a ``ValueError`` naming it."""
        name = get_handler_name(message)
        handler = getattr(self, name, None)
        if handler is None:
            raise ValueError(
                f"{type(self).__name__} has no handler for message type {message['type']!r}; "
                f"define a method {name}(self, message)"
            )
        return handler  # type: ignore[no-any-return]

    async def dispatch(self, message: Message) -> None:
        """Call the handler of ``message``'s type; a type with no handler is an error."""
        await self.handler_of(message)(message)

    async def send(self, message: Message) -> None:
        """Send an ASGI event to the client (``{"type": "websocket.send", ...}``)."""
        await self.base_send(message)

    @classmethod
    def as_asgi(cls, **initkwargs: Any) -> Callable[..., Awaitable[None]]:
        """The ASGI application that makes one instance (``cls(**initkwargs)``) per
        connection; ``initkwargs`` set class attributes, as Django's ``as_view()`` does."""
        check_initkwargs(cls, initkwargs)  # at routing time, not on the first connection

        async def app(scope: dict[str, Any], receive: Receive, send: Any) -> None:
            consumer = cls(**initkwargs)
            await consumer(scope, receive, send)

        app.consumer_class = cls  # type: ignore[attr-defined]
        app.consumer_initkwargs = initkwargs  # type: ignore[attr-defined]
        functools.update_wrapper(app, cls, updated=())
        return app


class SyncConsumer(AsyncConsumer):
    """A consumer whose handlers are plain functions, run in a thread with database
    connections managed as Django views have them; ``self.send`` is a plain call."""

    _sync = True

    @database_sync_to_async
    def dispatch(self, message: Message) -> None:  # type: ignore[override]
        """Call the handler of ``message``'s type in the consumer's thread."""
        self.handler_of(message)(message)

    def send(self, message: Message) -> None:  # type: ignore[override]
        """Send an ASGI event to the client, from the handler's thread."""
        self.base_send(message)


__all__ = [
    "AsyncConsumer",
    "StopConsumer",
    "SyncConsumer",
    "await_many_dispatch",
    "get_handler_name",
]
