"""The session decorators: ``@channel_session``, ``@http_session`` and
``@channel_and_http_session``, with the session stores behind them.

Documented, and importable, as :mod:`channels.sessions`.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable
from importlib import import_module
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.sessions.backends.base import CreateError, SessionBase, UpdateError
from django.http import QueryDict, parse_cookie

from . import concurrency
from .exceptions import ConsumeLater
from .message import Message
from .request import header_list

logger = logging.getLogger("channels.sessions")

F = TypeVar("F", bound=Callable[..., Any])

SIGNED_COOKIES_ENGINE = "django.contrib.sessions.backends.signed_cookies"


# -- finding the message, wrapping sync and async consumers -----------------------------------


def find_message(args: tuple[Any, ...], decorator: str) -> Message:
    """The ``Message`` among the first two positional arguments (function or method)."""
    for arg in args[:2]:
        if isinstance(arg, Message):
            return arg
    # The text starts as 1.x's did: tests written for 1.x match on it.
    raise ValueError(
        f"{decorator} called without Message instance: it needs a consumer called with a "
        f"Message as its first argument (or second, after self), got "
        f"{[type(a).__name__ for a in args[:2]]!r}; decorate the consumer function or method "
        "itself"
    )


#: ``before`` returns this to say "do not run the consumer".
SKIP = concurrency.SKIP


def around(
    func: F,
    decorator: str,
    before: Callable[[Message], Any],
    after: Callable[[Message, Any, BaseException | None], None] | None = None,
) -> F:
    """Wrap a consumer: ``state = before(message)``; unless it is :data:`SKIP`, run the
    consumer, then ``after(message, state, error)`` (also when it raised). An ``async def``
    consumer stays async (see :func:`channels.concurrency.around`)."""
    return concurrency.around(
        func, functools.partial(find_message, decorator=decorator), before, after
    )


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
    message.channel_session = session
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
    message.http_session = http_session_store(http_session_key(message))
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
    channel = message.channel_session
    http = message.http_session
    if http is not None:
        if http.session_key and channel.get(cookie_name) != http.session_key:
            channel[cookie_name] = http.session_key
    elif channel.get(cookie_name):
        message.http_session = http_session_store(channel[cookie_name])


def channel_and_http_session(func: F) -> F:
    """:func:`http_session` and :func:`channel_session` together. The HTTP session key seen
    at connect is kept in the channel session (under ``SESSION_COOKIE_NAME``), so later
    messages of the socket get ``message.http_session`` too."""
    return http_session(
        channel_session(around(func, "channel_and_http_session", _link_http_session))
    )


__all__ = [
    "channel_and_http_session",
    "channel_session",
    "channel_session_key",
    "http_session",
    "http_session_key",
    "session_for_reply_channel",
]
