"""The log-in a Django session holds: reading its user, copying or forgetting the log-in.

Shared by the 1.x decorators (:mod:`channels.auth`) and the Channels 4 middleware
(:mod:`channels.scope_auth`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import auth
from django.contrib.sessions.backends.base import SessionBase

#: The session keys Django's ``login()`` stores: who, through which backend, and the hash.
LOGIN_KEYS = (auth.SESSION_KEY, auth.BACKEND_SESSION_KEY, auth.HASH_SESSION_KEY)


def transfer_user(from_session: SessionBase, to_session: SessionBase) -> None:
    """Copy the log-in (user id, backend, session hash) from one session to another, if
    ``from_session`` has all three."""
    if all(key in from_session for key in LOGIN_KEYS):
        for key in LOGIN_KEYS:
            to_session[key] = from_session[key]


def login_of(session: SessionBase | None) -> tuple[Any, ...] | None:
    """The log-in ``session`` holds (user id, backend, hash), or None."""
    if session is None or not all(key in session for key in LOGIN_KEYS):
        return None
    return tuple(session[key] for key in LOGIN_KEYS)


def forget_login(session: SessionBase) -> None:
    """Remove the log-in from ``session``, leaving the rest of it."""
    for key in LOGIN_KEYS:
        if key in session:
            del session[key]


class _SessionForAuth:
    """What ``django.contrib.auth.get_user`` sees as ``request.session``.

    ``get_user`` flushes the session or cycles its key when the session hash no longer
    matches. A channel session's key is pinned to its socket and it holds more than the
    log-in (``enforce_ordering``'s position), so here a flush only forgets the log-in, and
    the browser's HTTP session is never changed from a socket.
    """

    def __init__(self, session: SessionBase, writable: bool) -> None:
        self._session = session
        self._writable = writable

    def __getitem__(self, key: str) -> Any:
        return self._session[key]

    def __contains__(self, key: str) -> bool:
        return key in self._session

    def get(self, key: str, default: Any = None) -> Any:
        return self._session.get(key, default)

    def __setitem__(self, key: str, value: Any) -> None:
        if self._writable:
            self._session[key] = value

    def flush(self) -> None:
        if self._writable:
            forget_login(self._session)

    def cycle_key(self) -> None:
        pass


class _AuthRequest:
    def __init__(self, session: SessionBase, writable: bool) -> None:
        self.session = _SessionForAuth(session, writable)


def user_of(session: SessionBase | None, writable: bool = False) -> Any:
    """The user logged in to ``session``, or ``AnonymousUser``."""
    if session is None:
        from django.contrib.auth.models import AnonymousUser

        return AnonymousUser()
    return auth.get_user(_AuthRequest(session, writable))


__all__ = ["LOGIN_KEYS", "forget_login", "login_of", "transfer_user", "user_of"]
