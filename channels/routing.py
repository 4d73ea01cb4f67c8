"""Routing: which consumer runs for a message.

A routing is a list of entries tried in order; the first that matches wins::

    channel_routing = [
        route("websocket.connect", ws_add, path=r"^/chat/(?P<room>[^/]+)/$"),
        route_class(ChatConsumer, path=r"^/rooms/"),
        include("chat.routing.routes", path=r"^/v(?P<version>\\d+)"),
    ]

A dict ``{"channel": "app.consumers.fn"}`` is also a routing. Filters are regexes matched at
the start of the message's value for that key (``re.match``); all must match; their named
groups become keyword arguments of the consumer. ``include`` strips what its own filters
matched before its entries are tried, and merges keyword arguments (inner ones win).

Every entry has ``match(message) -> (consumer, kwargs) | None`` and ``channel_names()``.
"""

from __future__ import annotations

import inspect
import logging
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .channel import declared_routes
from .message import Message

logger = logging.getLogger("channels.routing")

Match = tuple[Callable[..., Any], dict[str, Any]]


class ConsumerImportError(ImproperlyConfigured):
    """A consumer given as a dotted path could not be imported."""


class RoutingImportError(ImproperlyConfigured):
    """A routing given as a dotted path could not be imported, or is not a routing."""


def resolve_consumer(consumer: Any) -> Callable[..., Any]:
    """The consumer itself, importing it first if it is a dotted path."""
    if isinstance(consumer, str):
        try:
            consumer = import_string(consumer)
        except ImportError as exc:
            raise ConsumerImportError(
                f"cannot import consumer {consumer!r}: {exc}. Check the dotted path "
                "('package.module.function')"
            ) from exc
    if not callable(consumer):
        raise ImproperlyConfigured(f"consumer {consumer!r} is not callable")
    return consumer  # type: ignore[no-any-return]


def is_async_consumer(consumer: Any) -> bool:
    """Whether a worker runs ``consumer`` on its event loop rather than in a thread.

    True for ``async def`` functions and methods (also marked with
    ``asgiref.sync.markcoroutinefunction``), instances whose ``__call__`` is ``async def``,
    and classes whose calling returns an awaitable (they define ``__await__``, or an
    ``async def dispatch``). A sync consumer that returns an awaitable anyway still works:
    the worker awaits it on its loop, but it holds a thread meanwhile.
    """
    if iscoroutinefunction(consumer):
        return True
    if inspect.isclass(consumer):
        return hasattr(consumer, "__await__") or iscoroutinefunction(
            getattr(consumer, "dispatch", None)
        )
    if inspect.isfunction(consumer) or inspect.ismethod(consumer):
        return False
    return iscoroutinefunction(getattr(type(consumer), "__call__", None))  # noqa: B004


def _compile_filters(filters: dict[str, Any], where: str) -> dict[str, re.Pattern[str]]:
    compiled = {}
    for key, pattern in filters.items():
        if isinstance(pattern, bytes):
            pattern = pattern.decode("ascii")
        if isinstance(pattern, re.Pattern):
            regex = pattern
        elif isinstance(pattern, str):
            try:
                regex = re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"{where}: filter {key}={pattern!r} is not a regex: {exc}"
                ) from exc
        else:
            raise TypeError(f"{where}: filter {key}= must be a regex string, got {pattern!r}")
        if regex.groups > len(regex.groupindex):
            raise ValueError(
                f"{where}: filter {key}={regex.pattern!r} has an unnamed group; name it "
                "(?P<name>...) to pass it to the consumer, or make it non-capturing (?:...)"
            )
        compiled[key] = regex
    return compiled


def _match_filters(
    filters: dict[str, re.Pattern[str]], content: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, re.Match[str]]] | None:
    kwargs: dict[str, Any] = {}
    matches = {}
    for key, regex in filters.items():
        value = content.get(key)
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if not isinstance(value, str):
            return None
        found = regex.match(value)
        if found is None:
            return None
        kwargs.update(found.groupdict())
        matches[key] = found
    return kwargs, matches


def _channel_list(channels: str | bytes | Iterable[str | bytes]) -> list[str]:
    if isinstance(channels, str | bytes):
        channels = [channels]
    names = [c.decode("ascii") if isinstance(c, bytes) else c for c in channels]
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"channel names in a route must be str, got {name!r}")
    if not names:
        raise ValueError("a route needs at least one channel name")
    return names


class Route:
    """``route(channels, consumer, **filters)``: one or more channels to one consumer."""

    def __init__(
        self, channels: str | bytes | Iterable[str | bytes], consumer: Any, **filters: Any
    ) -> None:
        self.channels = _channel_list(channels)
        self.consumer = resolve_consumer(consumer)
        self.filters = _compile_filters(filters, f"route({self.channels!r}, ...)")

    def match(self, message: Message) -> Match | None:
        """``(consumer, kwargs)`` if this route takes ``message``, else None."""
        if message.channel.name not in self.channels:
            return None
        found = _match_filters(self.filters, message.content)
        return None if found is None else (self.consumer, found[0])

    def channel_names(self) -> set[str]:
        """The channels this route listens on."""
        return set(self.channels)

    def __repr__(self) -> str:
        filters = "".join(f", {k}={r.pattern!r}" for k, r in self.filters.items())
        return f"route({self.channels!r}, {self.consumer!r}{filters})"


class RouteClass(Route):
    """``route_class(ConsumerClass, **filters)``: channels from ``channel_names()``."""

    def __init__(self, consumer: Any, **filters: Any) -> None:
        consumer = resolve_consumer(consumer)
        names = getattr(consumer, "channel_names", None)
        if not callable(names):
            raise ValueError(
                f"route_class({consumer!r}) needs a class with a channel_names() classmethod "
                "(such as channels.generic consumers); use route() for a plain function"
            )
        super().__init__(list(names()), consumer, **filters)


class Include:
    """``include(routing, **prefix_filters)``: a nested routing behind prefix filters."""

    def __init__(self, routing: Any, **filters: Any) -> None:
        self.routing = expand_routing(routing)
        self.filters = _compile_filters(filters, "include(...)")

    def match(self, message: Message) -> Match | None:
        """The first inner match on the message with the prefixes stripped."""
        if self.filters:
            found = _match_filters(self.filters, message.content)
            if found is None:
                return None
            outer, matches = found
            # A shallow copy is enough: only the matched str values are replaced.
            content = dict(message.content)
            for key, m in matches.items():
                content[key] = m.string[m.end() :]
            message = Message(content, message.channel.name, message.channel_layer)
        else:
            outer = {}
        for entry in self.routing:
            inner = entry.match(message)
            if inner is not None:
                return inner[0], {**outer, **inner[1]}
        return None

    def channel_names(self) -> set[str]:
        """Every channel any inner entry listens on."""
        names: set[str] = set()
        for entry in self.routing:
            names |= entry.channel_names()
        return names


def expand_routing(routing: Any) -> list[Any]:
    """A routing (list, dict or dotted path to either) as a list of entries."""
    if isinstance(routing, str):
        try:
            routing = import_string(routing)
        except ImportError as exc:
            raise RoutingImportError(
                f"cannot import routing {routing!r}: {exc}. Point ROUTING at a list or dict, "
                "e.g. 'myproject.routing.channel_routing'"
            ) from exc
    if isinstance(routing, dict):
        return [Route(channel, consumer) for channel, consumer in routing.items()]
    if isinstance(routing, list | tuple):
        entries = list(routing)
        for entry in entries:
            if not (hasattr(entry, "match") and hasattr(entry, "channel_names")):
                raise RoutingImportError(
                    f"routing entry {entry!r} is not a route; use route(), route_class() "
                    "or include()"
                )
        return entries
    raise RoutingImportError(
        f"a routing must be a list of routes, a dict {{channel: consumer}} or a dotted path "
        f"to one, got {routing!r}"
    )


def _collect_consumers(entries: Iterable[Any], found: dict[str, list[Any]]) -> None:
    for entry in entries:
        if isinstance(entry, Include):
            _collect_consumers(entry.routing, found)
        elif isinstance(entry, Route):
            for name in entry.channels:
                found.setdefault(name, []).append(entry.consumer)
        else:
            for name in entry.channel_names():
                found.setdefault(name, []).append(None)


class Router:
    """Finds the consumer for a message: the routing's entries, then routes added with
    ``add_route`` and ``@Channel.consumer``, then the defaults of ``check_default``."""

    def __init__(self, routing: Any) -> None:
        self.root = Include(routing)
        self.defaults: list[Route] = []
        self._lock = threading.Lock()
        self.channels = self.root.channel_names()

    def add_route(self, route: Any) -> None:
        """Append an entry after the existing ones (before the defaults)."""
        with self._lock:
            self.root.routing.append(route)
            self.channels = self.root.channel_names() | self._default_names()

    def check_default(self, http_consumer: Any = None) -> None:
        """Add the default routes, tried after every other entry: ``http.request`` to
        Django's views (or ``http_consumer``); ``websocket.connect`` accepts, unless the
        routing routes sockets and none of its ``websocket.*`` routes matches the socket's
        path: that one is refused (as an unmatched URL gets 404); ``websocket.receive``,
        ``websocket.disconnect`` and ``http.disconnect`` do nothing."""
        with self._lock:
            self.defaults = [
                Route("http.request", http_consumer or view_consumer),
                Route("websocket.connect", self._default_connect),
                Route("websocket.receive", null_consumer),
                Route("websocket.disconnect", null_consumer),
                Route("http.disconnect", null_consumer),
            ]
            self.channels = self.root.channel_names() | self._default_names()

    def _default_connect(self, message: Message, **kwargs: Any) -> None:
        """Accept a socket when no route is about sockets at all, or when a
        ``websocket.receive``/``websocket.disconnect`` route matches its path (a routing may
        leave connects to the default); refuse it otherwise."""
        socket_channels = {"websocket.connect", "websocket.receive", "websocket.disconnect"}
        if not socket_channels & self.root.channel_names() or any(
            self.root.match(Message(message.content, name, message.channel_layer)) is not None
            for name in ("websocket.receive", "websocket.disconnect")
        ):
            accept_connection(message)
        else:
            refuse_unrouted_connection(message)

    def _default_names(self) -> set[str]:
        return {name for route in self.defaults for name in route.channels}

    def consumers_by_channel(self) -> dict[str, list[Any]]:
        """Every consumer each channel may reach (None for an entry of a routing class
        channels does not know, whose consumers cannot be seen)."""
        found: dict[str, list[Any]] = {}
        _collect_consumers([*self.root.routing, *self.defaults], found)
        return found

    def match(self, message: Message) -> Match | None:
        """``(consumer, kwargs)`` for the message, or None when nothing routes it."""
        found = self.root.match(message)
        if found is not None:
            return found
        for route in self.defaults:
            found = route.match(message)
            if found is not None:
                return found
        return None


# -- default consumers -----------------------------------------------------------------------

_view_consumer: Any = None


def view_consumer(message: Message, **kwargs: Any) -> None:
    """Runs Django's view system for an ``http.request`` (``channels.handler.ViewConsumer``)."""
    global _view_consumer
    if _view_consumer is None:
        # Imported on first use: routing must not pull the whole HTTP handler in.
        _view_consumer = import_string("channels.handler.ViewConsumer")()
    _view_consumer(message, **kwargs)


def accept_connection(message: Message, **kwargs: Any) -> None:
    """Default ``websocket.connect`` consumer: accept every socket."""
    if message.reply_channel is not None:
        message.reply_channel.send({"accept": True})


def refuse_unrouted_connection(message: Message, **kwargs: Any) -> None:
    """Default ``websocket.connect`` consumer of a routing that routes sockets: a path
    none of its routes matched is refused (HTTP 403 to the handshake)."""
    logger.warning(
        "WebSocket refused: no websocket.connect route matches path %r; add a route for it",
        message.content.get("path"),
    )
    if message.reply_channel is not None:
        message.reply_channel.send({"close": True})


def null_consumer(message: Message, **kwargs: Any) -> None:
    """Default ``websocket.receive``/``websocket.disconnect`` consumer: ignore."""


# -- @Channel.consumer -----------------------------------------------------------------------

#: Routes declared with ``@Channel.consumer`` (kept in :mod:`channels.channel`, read here).
decorated_routes = declared_routes


route = Route
route_class = RouteClass
include = Include

__all__ = [
    "ConsumerImportError",
    "Include",
    "Route",
    "RouteClass",
    "Router",
    "RoutingImportError",
    "include",
    "is_async_consumer",
    "route",
    "route_class",
]

from .scope_routing import ChannelNameRouter, ProtocolTypeRouter, URLRouter, get_default_application  # noqa: E402, F401  # Channels 4 routers
