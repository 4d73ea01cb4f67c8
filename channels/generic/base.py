"""``BaseConsumer``: a class whose methods handle the channels of ``method_mapping``.

The class itself is the consumer. Routing calls it with each message, which builds an
instance for that one message and runs the mapped method::

    class Tasks(BaseConsumer):
        method_mapping = {"thumbnail": "make_thumbnail", "cleanup": "clean"}

        def make_thumbnail(self, message, **kwargs):
            ...

    channel_routing = [Tasks.as_route(path=r"^/media/")]

``AsyncBaseConsumer`` is the same with ``async def`` handlers: calling the class returns an
instance the worker awaits, so it runs on the worker's event loop.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, ClassVar

from asgiref.sync import iscoroutinefunction

from ..message import Message
from ..routing import RouteClass

Handler = Callable[..., Any]
Decorator = Callable[[Handler], Handler]


class BaseConsumer:
    """Consumer class: one instance per message, ``dispatch`` runs in the constructor.

    ``method_mapping`` maps channel names to method names. ``channel_session = True`` gives
    every handler ``message.channel_session``; ``channel_session_user = True`` also
    ``message.user`` (see :mod:`channels.sessions` and :mod:`channels.auth`).
    """

    method_mapping: ClassVar[dict[str, str]] = {}
    channel_session: ClassVar[bool] = False
    channel_session_user: ClassVar[bool] = False

    def __init__(self, message: Message, **kwargs: Any) -> None:
        self.message = message
        self.kwargs = kwargs
        self.dispatch(message, **kwargs)

    @classmethod
    def channel_names(cls) -> set[str]:
        """The channels this class consumes: the keys of ``method_mapping``."""
        return set(cls.method_mapping)

    @classmethod
    def as_route(cls, attrs: dict[str, Any] | None = None, **filters: Any) -> RouteClass:
        """A ``route_class`` entry for this class; ``attrs`` makes a same-named subclass with
        those class attributes first (``Chat.as_route({"groups": ["lobby"]}, path=...)``)."""
        target: type = cls
        if attrs:
            if not isinstance(attrs, dict):
                raise TypeError(
                    f"{cls.__name__}.as_route(attrs) takes a dict of class attributes, got "
                    f"{attrs!r}"
                )
            target = type(cls.__name__, (cls,), dict(attrs))
        return RouteClass(target, **filters)

    def session_decorators(self, message: Message) -> list[Decorator]:
        """The decorators ``get_handler`` wraps the handler in, innermost first.

        Imported here, not at module level, so that this module does not need the session
        machinery (nor its database tables) until a consumer asks for it.
        """
        if self.channel_session_user:
            from ..auth import channel_session_user

            return [channel_session_user]
        if self.channel_session:
            from ..sessions import channel_session

            return [channel_session]
        return []

    def handler_method(self, message: Message) -> Handler:
        """The bound method ``method_mapping`` names for the message's channel."""
        channel = message.channel.name
        name = self.method_mapping.get(channel)
        if name is None:
            raise ValueError(
                f"{type(self).__qualname__} has no method for channel {channel!r}; its "
                f"method_mapping covers {sorted(self.method_mapping)!r}"
            )
        method = getattr(self, name, None)
        if not callable(method):
            raise AttributeError(
                f"{type(self).__qualname__}.method_mapping maps {channel!r} to {name!r}, "
                "which is not a method of the class"
            )
        return method

    def get_handler(self, message: Message, **kwargs: Any) -> Handler:
        """The method for the message's channel, wrapped in ``session_decorators``."""
        handler = self.handler_method(message)
        for decorator in self.session_decorators(message):
            handler = decorator(handler)
        return handler

    def dispatch(self, message: Message, **kwargs: Any) -> Any:
        """Run the handler for ``message``."""
        return self.get_handler(message, **kwargs)(message, **kwargs)


class AsyncBaseConsumer(BaseConsumer):
    """:class:`BaseConsumer` with ``async def`` handlers, run on the worker's event loop.

    Calling the class stores the message; awaiting the instance (the worker does) runs
    :meth:`dispatch`. Session decorators do their blocking database work in a thread while
    the handler itself still runs on the loop.
    """

    def __init__(self, message: Message, **kwargs: Any) -> None:
        self.message = message
        self.kwargs = kwargs

    def __await__(self) -> Generator[Any, None, Any]:
        return self.dispatch(self.message, **self.kwargs).__await__()

    def get_handler(self, message: Message, **kwargs: Any) -> Handler:
        """The async method for the message's channel; with session decorators, an async
        callable that runs them around it."""
        handler = self.handler_method(message)
        if not iscoroutinefunction(handler):
            raise TypeError(
                f"{type(self).__qualname__}.{handler.__name__} must be 'async def' in an "
                "async consumer class (or derive from the sync class instead)"
            )
        decorators = self.session_decorators(message)
        wrapped = handler
        for decorator in decorators:
            wrapped = decorator(wrapped)
        if not iscoroutinefunction(wrapped):
            # channels' own decorators wrap async handlers natively; a sync-only one would
            # leave the coroutine unawaited.
            raise TypeError(
                f"a decorator in {type(self).__qualname__}.session_decorators() turned the "
                f"async handler {handler.__name__!r} into a sync function; use decorators that "
                "support async def consumers"
            )
        return wrapped

    async def dispatch(self, message: Message, **kwargs: Any) -> Any:
        """Run (await) the handler for ``message``."""
        return await self.get_handler(message, **kwargs)(message, **kwargs)


__all__ = ["AsyncBaseConsumer", "BaseConsumer"]
