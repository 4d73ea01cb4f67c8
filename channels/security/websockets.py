"""Origin validators for ``websocket.connect`` consumers, stricter than the default check.

Decorate a connect consumer (a function or a consumer method, sync or ``async def``)::

    from channels.security.websockets import allowed_hosts_only, OriginValidator

    @allowed_hosts_only
    def ws_connect(message):
        message.reply_channel.send({"accept": True})

    @OriginValidator.allowing(["https://example.com", "https://*.example.com"])
    def ws_connect_strict(message):
        ...

A refused socket gets ``DenyConnection`` (HTTP 403 at the handshake); the consumer does not
run. Unlike the bridge's default check (:mod:`channels.security.origins`), these refuse a
handshake with **no** ``Origin`` too, and a missing, empty, ``null`` or non-ASCII one.

A validator can also wrap a whole ASGI application (e.g. the project's channel layer in
``asgi.py``); it then refuses WebSocket handshakes before the application sees them::

    application = OriginValidator(get_channel_layer(), ["https://example.com"])
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from asgiref.sync import iscoroutinefunction

from ..closecodes import POLICY_VIOLATION
from ..exceptions import DenyConnection
from ..message import Message
from ..types import Receive, Scope, Send
from .origins import Origin, host_allowed, origin_header, parse_origin


def _is_async(target: Any) -> bool:
    if not callable(target):
        raise TypeError(
            f"an origin validator wraps a consumer or an ASGI application, got {target!r}"
        )
    if iscoroutinefunction(target):
        return True
    if inspect.isroutine(target) or inspect.isclass(target):
        return False
    return iscoroutinefunction(getattr(type(target), "__call__", None))  # noqa: B004


class BaseOriginValidator:
    """Wraps a connect consumer, or an ASGI application, and lets a WebSocket through only
    when :meth:`validate_origin` accepts its ``Origin``. Subclasses implement
    :meth:`validate_origin`.

    Works on plain functions, on consumer methods (it binds like a function) and on
    ``async def`` consumers (the validator is then awaitable, so the worker runs it on its
    event loop).
    """

    _async_variants: dict[type, type] = {}

    def __new__(cls, target: Any, *args: Any, **kwargs: Any) -> BaseOriginValidator:
        if _is_async(target) and not getattr(cls, "_is_async_variant", False):
            # The worker and ASGI servers decide sync/async from type(x).__call__, so an
            # async target needs a class whose __call__ is async def.
            variant = BaseOriginValidator._async_variants.get(cls)
            if variant is None:
                variant = type(
                    cls.__name__,
                    (cls,),
                    {
                        "__call__": _async_call,
                        "_is_async_variant": True,
                        "__module__": cls.__module__,
                        "__qualname__": cls.__qualname__,
                    },
                )
                BaseOriginValidator._async_variants[cls] = variant
            cls = variant
        return super().__new__(cls)

    def __init__(self, target: Any) -> None:
        self.target = target
        functools.update_wrapper(self, target, updated=())

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        # As a method: validate, then call the wrapped function bound to ``instance``.
        bound = type(self).__new__(type(self), self.target)
        bound.__dict__.update(self.__dict__)
        bound.target = self.target.__get__(instance, owner)
        return bound

    def validate_origin(self, message: Any, origin: Origin) -> bool:
        """Whether ``origin`` (parsed, never missing) may connect. ``message`` is the
        ``websocket.connect`` Message, or the ASGI scope when wrapping an application."""
        raise NotImplementedError(
            "subclasses of BaseOriginValidator must implement validate_origin()"
        )

    def allows(self, message: Any, headers: Any) -> bool:
        """Whether the handshake whose headers are ``headers`` may go on. Malformed headers
        (an entry that is not a ``[name, value]`` pair, a value that is not text or bytes)
        refuse it, as a missing, empty or non-ASCII ``Origin`` does."""
        try:
            raw = origin_header(headers)
        except (TypeError, ValueError):
            return False
        origin = parse_origin(raw)
        return origin is not None and bool(self.validate_origin(message, origin))

    def _check_message(self, args: tuple[Any, ...]) -> None:
        message = next((a for a in args[:2] if isinstance(a, Message)), None)
        if message is None:
            raise ValueError(
                f"{type(self).__name__} wraps websocket.connect consumers: it needs a Message "
                f"as the first argument, got {[type(a).__name__ for a in args[:2]]!r}"
            )
        if not self.allows(message, message.get("headers")):
            raise DenyConnection(f"origin not allowed on {message.get('path')!r}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self._check_message(args)
        return self.target(*args, **kwargs)


async def _async_call(self: BaseOriginValidator, *args: Any, **kwargs: Any) -> Any:
    if len(args) == 3 and isinstance(args[0], Mapping) and "type" in args[0]:
        return await _asgi_call(self, *args)
    self._check_message(args)
    return await self.target(*args, **kwargs)


async def _asgi_call(self: BaseOriginValidator, scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "websocket":
        return await self.target(scope, receive, send)  # type: ignore[no-any-return]
    first = await receive()
    if first["type"] == "websocket.connect" and not self.allows(scope, scope.get("headers")):
        await send({"type": "websocket.close", "code": POLICY_VIOLATION})  # before accept: HTTP 403
        return None
    replayed = False

    async def replay() -> Any:
        nonlocal replayed
        if not replayed:
            replayed = True
            return first
        return await receive()

    return await self.target(scope, replay, send)  # type: ignore[no-any-return]


class AllowedHostsOnlyOriginValidator(BaseOriginValidator):
    """Lets through origins whose host is in ``ALLOWED_HOSTS`` (under ``DEBUG`` with an empty
    ``ALLOWED_HOSTS``: ``localhost``, ``127.0.0.1`` and ``[::1]``)."""

    def validate_origin(self, message: Any, origin: Origin) -> bool:
        return host_allowed(origin)


#: ``@allowed_hosts_only`` on a ``websocket.connect`` consumer.
allowed_hosts_only = AllowedHostsOnlyOriginValidator


def origin_matches(origin: Origin, pattern: str) -> bool:
    """Whether ``origin`` matches one allow-list entry.

    ``"*"`` matches every origin. ``"https://example.com"`` (optionally with a port) matches
    that scheme, host and port (default ports are implied). ``"example.com"`` (no scheme)
    matches the host with any scheme and port. A host written ``*.example.com`` or
    ``.example.com`` matches ``example.com`` and every subdomain.
    """
    if pattern == "*":
        return True
    scheme = None
    if "://" in pattern:
        scheme, _, pattern = pattern.partition("://")
        if scheme.lower() != origin.scheme:
            return False
    host, port = split_host(pattern.rstrip("/").lower())
    if host.startswith("*."):
        host = host[1:]
    if host.startswith("."):
        if not (origin.host == host[1:] or origin.host.endswith(host)):
            return False
    elif origin.host != host:
        return False
    if port is not None:
        return origin.effective_port == port
    if scheme is not None:  # "https://example.com" means the default port
        return origin.effective_port == Origin(origin.scheme, host, None).effective_port
    return True


def split_host(netloc: str) -> tuple[str, int | None]:
    """``"host:port"`` (``"[::1]:80"``) split into host and int port (None without one)."""
    if netloc.startswith("["):
        end = netloc.find("]")
        host, rest = netloc[: end + 1], netloc[end + 1 :]
    else:
        host, _, port_text = netloc.partition(":")
        rest = ":" + port_text if port_text else ""
    if rest.startswith(":") and rest[1:].isdigit():
        return host, int(rest[1:])
    if rest:
        raise ValueError(f"invalid origin pattern {netloc!r}: expected host[:port]")
    return host, None


class OriginValidator(BaseOriginValidator):
    """Lets through only the origins of ``allowed_origins`` (see :func:`origin_matches` for
    the patterns)::

        ws_connect = OriginValidator(ws_connect, ["https://example.com"])

    or as a decorator: ``@OriginValidator.allowing(["https://example.com"])``.
    """

    def __init__(self, target: Any, allowed_origins: Iterable[str]) -> None:
        super().__init__(target)
        if isinstance(allowed_origins, (str, bytes)):
            raise TypeError(
                f"allowed_origins must be a list of origins, got the single string "
                f"{allowed_origins!r}; write [{allowed_origins!r}]"
            )
        self.allowed_origins = list(allowed_origins)
        for pattern in self.allowed_origins:
            if not isinstance(pattern, str):
                raise TypeError(f"allowed_origins entries must be str, got {pattern!r}")
            split_host(pattern.partition("://")[2] if "://" in pattern else pattern)

    @classmethod
    def allowing(cls, allowed_origins: Iterable[str]) -> Callable[[Any], OriginValidator]:
        """A decorator: ``@OriginValidator.allowing([...])``."""
        origins = list(allowed_origins)
        return lambda target: cls(target, origins)

    def validate_origin(self, message: Any, origin: Origin) -> bool:
        return any(origin_matches(origin, pattern) for pattern in self.allowed_origins)


__all__ = [
    "AllowedHostsOnlyOriginValidator",
    "BaseOriginValidator",
    "OriginValidator",
    "allowed_hosts_only",
    "origin_matches",
]
