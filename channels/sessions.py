"""Sessions for consumers: a session per socket, the browser's HTTP session, and ordering.

``@channel_session``
    ``message.channel_session`` is a Django session keyed by the message's reply channel, so
    every message of one WebSocket finds the same session. Created on first use, saved after
    the consumer when modified (also when it raised). ``CHANNEL_SESSION_ENGINE`` overrides
    ``SESSION_ENGINE``; the signed-cookies engine cannot work (there is no cookie to keep the
    data in) and is refused.
``@http_session``
    ``message.http_session`` is the session of the browser's HTTP session cookie (or of a
    ``session_key`` query parameter), ``None`` without one. Never created here.
``@channel_and_http_session``
    Both; the HTTP session key is kept in the channel session, so messages that carry no
    cookies (``websocket.receive``, ``websocket.disconnect``) still reach the HTTP session.
``@enforce_ordering``
    Messages of one socket run in ``order`` sequence, however many workers there are.

Every decorator works on functions and on consumer methods (the ``Message`` is the first or
the second positional argument) and on ``async def`` consumers: their session I/O then runs
through :func:`asgiref.sync.sync_to_async`, off the event loop.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Callable
from importlib import import_module
from typing import Any, TypeVar

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.sessions.backends.base import CreateError, SessionBase, UpdateError
from django.http import QueryDict, parse_cookie

from .exceptions import ChannelFull, ConsumeLater
from .message import Message, pending_message_store
from .request import header_list

logger = logging.getLogger("channels.sessions")

F = TypeVar("F", bound=Callable[..., Any])

SIGNED_COOKIES_ENGINE = "django.contrib.sessions.backends.signed_cookies"
#: Where ``enforce_ordering`` keeps the next expected ``order`` in the channel session.
NEXT_ORDER_KEY = "__channels_next_order"
#: How long a requeue that meets ``ChannelFull`` keeps retrying, and how often.
REQUEUE_RETRY_FOR = 2.0
REQUEUE_RETRY_EVERY = 0.05


# -- finding the message, wrapping sync and async consumers -----------------------------------


def find_message(args: tuple[Any, ...], decorator: str) -> Message:
    """The ``Message`` among the first two positional arguments (function or method)."""
    for arg in args[:2]:
        if isinstance(arg, Message):
            return arg
    raise ValueError(
        f"{decorator} needs a consumer called with a Message as its first argument (or second, "
        f"after self), got {[type(a).__name__ for a in args[:2]]!r}; decorate the consumer "
        "function or method itself"
    )


#: ``before`` returns this to say "do not run the consumer".
SKIP = object()


def around(
    func: F,
    decorator: str,
    before: Callable[[Message], Any],
    after: Callable[[Message, Any, BaseException | None], None] | None = None,
) -> F:
    """Wrap a consumer: ``state = before(message)``; unless it is :data:`SKIP`, run the
    consumer, then ``after(message, state, error)`` (also when it raised).

    ``before`` and ``after`` are blocking (session and database I/O); for an ``async def``
    consumer they run through ``sync_to_async`` and the wrapper is ``async def`` too, so the
    worker still runs it on its event loop.
    """
    if iscoroutinefunction(func):

        @functools.wraps(func)
        async def async_inner(*args: Any, **kwargs: Any) -> Any:
            message = find_message(args, decorator)
            state = await sync_to_async(before)(message)
            if state is SKIP:
                return None
            try:
                result = await func(*args, **kwargs)
            except BaseException as exc:
                if after is not None:
                    await sync_to_async(after)(message, state, exc)
                raise
            if after is not None:
                await sync_to_async(after)(message, state, None)
            return result

        return async_inner  # type: ignore[return-value]

    @functools.wraps(func)
    def inner(*args: Any, **kwargs: Any) -> Any:
        message = find_message(args, decorator)
        state = before(message)
        if state is SKIP:
            return None
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            if after is not None:
                after(message, state, exc)
            raise
        if after is not None:
            after(message, state, None)
        return result

    return inner  # type: ignore[return-value]


# -- session stores ---------------------------------------------------------------------------


def session_engine(setting_name: str = "CHANNEL_SESSION_ENGINE") -> Any:
    """The session engine module for channel sessions (``CHANNEL_SESSION_ENGINE``, else
    ``SESSION_ENGINE``), or for HTTP sessions with ``setting_name="SESSION_ENGINE"``."""
    name = getattr(settings, setting_name, None) or settings.SESSION_ENGINE
    return import_module(name)


def channel_session_key(reply_channel: str) -> str:
    """The session key of a reply channel: ``"chn"`` + 29 hex digits of its SHA-1 (32 chars,
    the length Django's own keys have)."""
    return "chn" + hashlib.sha1(reply_channel.encode("utf-8")).hexdigest()[:29]


def session_for_reply_channel(reply_channel: str) -> SessionBase:
    """The channel session of ``reply_channel``, loaded. When it does not exist yet its
    ``session_key`` is still the channel's key, and ``_channels_new`` is true."""
    engine_name = getattr(settings, "CHANNEL_SESSION_ENGINE", None) or settings.SESSION_ENGINE
    engine = import_module(engine_name)
    if engine_name == SIGNED_COOKIES_ENGINE or _is_signed_cookies(engine.SessionStore):
        raise ValueError(
            f"channel sessions cannot use the signed-cookies session engine ({engine_name!r}): "
            "a socket has no cookie to keep the data in. Set CHANNEL_SESSION_ENGINE to a "
            "stored engine, e.g. 'django.contrib.sessions.backends.cache' or '...backends.db'"
        )
    key = channel_session_key(reply_channel)
    session = engine.SessionStore(session_key=key)
    # Loading now: the built-in engines forget a key that is not stored (they would later
    # save under a new random key), which is how we learn that the session is new.
    session._session_cache = session.load()
    session._channels_new = session._session_key is None
    session._session_key = key
    return session


def _is_signed_cookies(store: type) -> bool:
    from django.contrib.sessions.backends import signed_cookies

    return issubclass(store, signed_cookies.SessionStore)


def save_channel_session(session: SessionBase, key: str, must_create: bool = False) -> None:
    """Save a channel session under its pinned ``key``, recreating it if it was deleted
    meanwhile (``flush()``, ``clearsessions``)."""
    if session.session_key is None:
        session._session_key = key
        must_create = True
    try:
        session.save(must_create=must_create)
    except UpdateError:  # deleted under us: store it again
        try:
            session.save(must_create=True)
        except CreateError:
            logger.warning("channel session %s was recreated concurrently; not saved", key)
    session.modified = False


# -- @channel_session --------------------------------------------------------------------------


def _open_channel_session(message: Message) -> Any:
    if getattr(message, "channel_session", None) is not None:
        return None  # an outer channel_session owns it and saves it
    if message.reply_channel is None:
        raise ValueError(
            f"channel_session needs a message with a reply_channel; the message on "
            f"{message.channel.name!r} has none (keys {sorted(message.content)!r})"
        )
    name = message.reply_channel.name
    session = session_for_reply_channel(name)
    if session._channels_new:
        try:
            session.save(must_create=True)
        except CreateError:
            # Another worker created it at the same moment: run this message again once
            # theirs is stored, rather than overwrite what they saved.
            raise ConsumeLater() from None
    message.channel_session = session  # type: ignore[attr-defined]
    return session


def _close_channel_session(message: Message, session: Any, error: BaseException | None) -> None:
    if session is None:
        return
    # An empty session was flushed (e.g. a logout): saving it would bring it back.
    if session.modified and not session.is_empty():
        save_channel_session(session, channel_session_key(message.reply_channel.name))  # type: ignore[union-attr]


def channel_session(func: F) -> F:
    """Give the consumer ``message.channel_session``, the session of its reply channel.

    Created on first use, saved after the consumer when modified, also when it raised.
    When two workers create the same session at once, the one that loses raises
    ``ConsumeLater``: its message runs again once the other's session is stored.
    """
    return around(func, "channel_session", _open_channel_session, _close_channel_session)


# -- @http_session -----------------------------------------------------------------------------


def http_session_key(message: Message) -> str | None:
    """The HTTP session key a message carries: the ``session_key`` query parameter, else the
    ``SESSION_COOKIE_NAME`` cookie; None without either."""
    query = message.get("query_string") or b""
    if isinstance(query, bytes):
        query = query.decode("latin-1")
    key = QueryDict(query).get("session_key")
    if key:
        return str(key)
    cookies = [
        value.decode("latin-1")
        for name, value in header_list(message.get("headers"))
        if name.lower() == b"cookie"
    ]
    if cookies:
        return parse_cookie("; ".join(cookies)).get(settings.SESSION_COOKIE_NAME) or None
    return None


def http_session_store(session_key: str | None) -> SessionBase | None:
    """The ``SESSION_ENGINE`` store of ``session_key``, or None for no key."""
    if not session_key:
        return None
    return session_engine("SESSION_ENGINE").SessionStore(session_key=session_key)


def _open_http_session(message: Message) -> bool:
    if hasattr(message, "http_session"):
        return False
    message.http_session = http_session_store(http_session_key(message))  # type: ignore[attr-defined]
    return True


def _close_http_session(message: Message, owner: bool, error: BaseException | None) -> None:
    # As Django's SessionMiddleware: nothing is saved when the consumer failed.
    session = getattr(message, "http_session", None)
    if not owner or error is not None or session is None:
        return
    if session.modified and not session.is_empty():
        session.save()
        session.modified = False


def http_session(func: F) -> F:
    """Give the consumer ``message.http_session``: the browser's HTTP session, from the
    session cookie or a ``session_key`` query parameter, or None when the message has
    neither. Saved after the consumer if modified (not when it raised); never created.

    Only ``websocket.connect`` (and ``http.request``) messages carry cookies; to reach the
    HTTP session from later frames use :func:`channel_and_http_session`.
    """
    return around(func, "http_session", _open_http_session, _close_http_session)


def _link_http_session(message: Message) -> None:
    cookie_name = settings.SESSION_COOKIE_NAME
    channel = message.channel_session  # type: ignore[attr-defined]
    http = message.http_session  # type: ignore[attr-defined]
    if http is not None:
        if http.session_key and channel.get(cookie_name) != http.session_key:
            channel[cookie_name] = http.session_key
    elif channel.get(cookie_name):
        message.http_session = http_session_store(channel[cookie_name])  # type: ignore[attr-defined]


def channel_and_http_session(func: F) -> F:
    """:func:`http_session` and :func:`channel_session` together. The HTTP session key seen
    at connect is kept in the channel session (under ``SESSION_COOKIE_NAME``), so later
    messages of the socket get ``message.http_session`` too."""
    return http_session(
        channel_session(around(func, "channel_and_http_session", _link_http_session))
    )


# -- @enforce_ordering -------------------------------------------------------------------------


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


def _send_retrying(layer: Any, channel: str, content: dict[str, Any], what: str) -> None:
    deadline = time.monotonic() + REQUEUE_RETRY_FOR
    while True:
        try:
            layer.send(channel, content)
            return
        except ChannelFull:
            if time.monotonic() >= deadline:
                raise ChannelFull(
                    f"enforce_ordering could not {what}: {channel!r} stayed full for "
                    f"{REQUEUE_RETRY_FOR} s. Run more workers or raise its capacity"
                ) from None
            time.sleep(REQUEUE_RETRY_EVERY)  # waiting for consumers elsewhere to drain it


def requeue_messages(message: Message, order: int | None = None) -> int:
    """Put the message waiting for position ``order`` (default: the session's next order)
    of ``message``'s socket back on the channel it came from; returns how many moved."""
    assert message.reply_channel is not None
    if order is None:
        order = int(message.channel_session.get(NEXT_ORDER_KEY, 0))  # type: ignore[attr-defined]
    layer = message.channel_layer
    wait = wait_channel_name(message.reply_channel.name, order)
    moved = 0
    while True:
        channel, content = layer.receive([wait], block=False)
        if channel is None:
            return moved
        original = content.pop("original_channel", None) or message.channel.name
        _send_retrying(layer, original, content, f"put a waiting message back on {original!r}")
        moved += 1


def _ordering_before(message: Message) -> Any:
    order = _order_of(message)
    session = message.channel_session  # type: ignore[attr-defined]
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
    _send_retrying(
        message.channel_layer, wait_channel_name(reply, order), content, "park a message"
    )
    # The message before it may have finished between our read and our park; it then found
    # nothing to requeue, so whoever sees the session move on does it.
    if int(session_for_reply_channel(reply).get(NEXT_ORDER_KEY, 0)) == order:
        requeue_messages(message, order)
    return SKIP


def _ordering_after(message: Message, order: int, error: BaseException | None) -> None:
    if isinstance(error, ConsumeLater) and not getattr(message, "__doomed__", False):
        return  # the worker runs it again: its turn is not over
    # The consumer's own sends go out before the next message may run, so replies keep
    # the order of the messages they answer.
    if pending_message_store.active:
        pending_message_store.send_and_flush()
        pending_message_store.prepare()
    session = message.channel_session  # type: ignore[attr-defined]
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


__all__ = [
    "channel_and_http_session",
    "channel_session",
    "channel_session_key",
    "enforce_ordering",
    "http_session",
    "http_session_key",
    "requeue_messages",
    "session_for_reply_channel",
    "wait_channel_name",
]

from .scope_sessions import CookieMiddleware, SessionMiddleware, SessionMiddlewareStack  # noqa: E402, F401  # Channels 4 middleware
