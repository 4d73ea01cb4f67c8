"""``message.user`` for consumers: the logged-in Django user, or ``AnonymousUser``.

``@http_session_user``
    The user of the browser's HTTP session (only ``websocket.connect`` carries the cookie).
``@channel_session_user_from_http``
    For ``websocket.connect``: the user of the HTTP session, whose log-in is copied into the
    channel session (the seeds' "automatic login through cookies").
``@channel_session_user``
    For the socket's later messages: the user the channel session holds.
``@channel_and_http_session_user_from_http``
    For every message of a socket: both sessions and the user of the HTTP session.

**Logging out is seen at once.** A channel session that got its log-in from an HTTP session
remembers that session's key. Each message re-reads the HTTP session (one session read): when
the user logged out (or logged in again, or the session expired), the socket's next message
has ``AnonymousUser`` and the copied log-in is removed from the channel session. Django's
session-hash check applies too, so changing the password also logs sockets out.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase

from .message import Message
from .session_logins import forget_login, login_of, transfer_user, user_of
from .sessions import (
    around,
    channel_and_http_session,
    channel_session,
    http_session,
    http_session_store,
)

F = TypeVar("F")


def _mirror_login(http: SessionBase | None, channel: SessionBase, user: Any) -> None:
    """Make the channel session's log-in that of the HTTP session (``user`` its user)."""
    if http is not None and user.is_authenticated:
        if login_of(channel) != login_of(http):
            transfer_user(http, channel)
    elif login_of(channel) is not None:
        forget_login(channel)


def _linked_http_session(message: Message) -> SessionBase | None:
    link = message.channel_session.get(settings.SESSION_COOKIE_NAME)
    if not link:
        return None
    current = getattr(message, "http_session", None)
    if current is not None and current.session_key == link:
        return current
    return http_session_store(link)


def _set_user_from_channel(message: Message) -> None:
    channel = message.channel_session
    http = _linked_http_session(message)
    if http is not None and login_of(http) != login_of(channel):
        # Logged out (or in as someone else, or expired) over HTTP since the socket opened.
        _mirror_login(http, channel, user_of(http))
    message.user = user_of(channel, writable=True)


def _set_user_from_http(message: Message) -> None:
    message.user = user_of(message.http_session)


def _copy_user_from_http(message: Message) -> None:
    http = message.http_session
    if http is None:
        return
    channel = message.channel_session
    if http.session_key:
        # Remembered so later messages can see a logout (see the module docstring).
        channel[settings.SESSION_COOKIE_NAME] = http.session_key
    _mirror_login(http, channel, message.user)


def _user_from_both(message: Message) -> None:
    http = message.http_session
    channel = message.channel_session
    if http is None:
        message.user = user_of(channel, writable=True)
        return
    user = user_of(http)
    _mirror_login(http, channel, user)
    message.user = user


def http_session_user(func: F) -> F:
    """Implies :func:`~channels.sessions.http_session`; ``message.user`` is the user of the
    HTTP session, ``AnonymousUser`` without one."""
    return http_session(around(func, "http_session_user", _set_user_from_http))  # type: ignore[type-var]


def channel_session_user(func: F) -> F:
    """Implies :func:`~channels.sessions.channel_session`; ``message.user`` is the user the
    channel session holds (put there by :func:`channel_session_user_from_http`), re-checked
    against the HTTP session it came from."""
    return channel_session(around(func, "channel_session_user", _set_user_from_channel))  # type: ignore[type-var]


def channel_session_user_from_http(func: F) -> F:
    """For ``websocket.connect``: :func:`http_session_user` plus
    :func:`~channels.sessions.channel_session`, copying the log-in into the channel session
    so :func:`channel_session_user` finds it on the socket's later messages."""
    return http_session_user(
        channel_session(around(func, "channel_session_user_from_http", _copy_user_from_http))  # type: ignore[type-var]
    )


def channel_and_http_session_user_from_http(func: F) -> F:
    """:func:`~channels.sessions.channel_and_http_session` with ``message.user`` the user of
    the HTTP session (found again through the channel session on messages without cookies),
    its log-in mirrored into the channel session. Use it on every consumer of the socket."""
    return channel_and_http_session(
        around(func, "channel_and_http_session_user_from_http", _user_from_both)  # type: ignore[type-var]
    )


__all__ = [
    "channel_and_http_session_user_from_http",
    "channel_session_user",
    "channel_session_user_from_http",
    "http_session_user",
    "transfer_user",
]

from .scope_auth import AuthMiddleware, AuthMiddlewareStack, get_user, login, logout  # noqa: E402, F401  # Channels 4 auth
