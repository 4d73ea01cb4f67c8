"""Channels 4's authentication: ``scope["user"]`` and async ``login``/``logout``.

``AuthMiddlewareStack(inner)`` is cookies + session + :class:`AuthMiddleware`: the user of
the browser's session (or ``AnonymousUser``) is in ``scope["user"]``. In a consumer::

    await login(self.scope, user)
    await database_sync_to_async(self.scope["session"].save)()

Re-exported by :mod:`channels.auth`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    user_logged_in,
    user_logged_out,
)
from django.utils.crypto import constant_time_compare

from .db import database_sync_to_async
from .middleware import BaseMiddleware
from .scope_sessions import CookieMiddleware, SessionMiddleware
from .session_logins import user_of


def _session_of(scope: dict[str, Any], what: str) -> Any:
    session = scope.get("session")
    if session is None:
        raise ValueError(
            f"{what} found no session in the scope; wrap the application in "
            "SessionMiddlewareStack or AuthMiddlewareStack"
        )
    return session


@database_sync_to_async
def get_user(scope: dict[str, Any]) -> Any:
    """The user logged in to ``scope["session"]``, or ``AnonymousUser``."""
    return user_of(_session_of(scope, "get_user()"), writable=True)


def _backend_for(user: Any, backend: str | None) -> str:
    if backend is not None:
        return (
            backend if isinstance(backend, str) else f"{backend.__module__}.{backend.__qualname__}"
        )
    if getattr(user, "backend", None):
        return str(user.backend)
    backends = list(settings.AUTHENTICATION_BACKENDS)
    if len(backends) == 1:
        return str(backends[0])
    raise ValueError(
        f"login() cannot tell which of the {len(backends)} AUTHENTICATION_BACKENDS "
        f"logged {user!r} in; pass backend=... or set user.backend (authenticate() does)"
    )


@database_sync_to_async
def login(scope: dict[str, Any], user: Any, backend: str | None = None) -> None:
    """Log ``user`` in to ``scope["session"]`` and set ``scope["user"]``; the session is
    not saved (save it, e.g. with ``database_sync_to_async(session.save)``)."""
    session = _session_of(scope, "login()")
    if user is None:
        user = scope.get("user")
    if user is None:
        raise ValueError("login() needs a user: pass one, or have one in scope['user']")
    auth_hash = user.get_session_auth_hash() if hasattr(user, "get_session_auth_hash") else ""
    if SESSION_KEY in session:
        same_user = str(session[SESSION_KEY]) == user._meta.pk.value_to_string(user)
        same_hash = auth_hash and constant_time_compare(
            session.get(HASH_SESSION_KEY, ""), auth_hash
        )
        if same_user and (not auth_hash or same_hash):
            session.cycle_key()
        else:
            # Another user's session: start afresh rather than inherit its data.
            session.flush()
    else:
        session.cycle_key()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = _backend_for(user, backend)
    session[HASH_SESSION_KEY] = auth_hash
    scope["user"] = user
    user_logged_in.send(sender=user.__class__, request=None, user=user)


@database_sync_to_async
def logout(scope: dict[str, Any]) -> None:
    """Log the user out: flush ``scope["session"]`` and set ``scope["user"]`` to
    ``AnonymousUser``."""
    session = _session_of(scope, "logout()")
    user = scope.get("user")
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    user_logged_out.send(sender=type(user), request=None, user=user)
    session.flush()
    if "user" in scope:
        # Imported here: asgi.py imports this module before Django is set up.
        from django.contrib.auth.models import AnonymousUser

        scope["user"] = AnonymousUser()


class AuthMiddleware(BaseMiddleware):
    """Puts the session's user in ``scope["user"]``; needs ``SessionMiddleware`` outside."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        scope = dict(scope)
        _session_of(scope, "AuthMiddleware")
        scope["user"] = await get_user(scope)
        return await self.inner(scope, receive, send)


def AuthMiddlewareStack(inner: Any) -> Any:
    """``CookieMiddleware(SessionMiddleware(AuthMiddleware(inner)))``."""
    return CookieMiddleware(SessionMiddleware(AuthMiddleware(inner)))


__all__ = ["AuthMiddleware", "AuthMiddlewareStack", "get_user", "login", "logout"]
