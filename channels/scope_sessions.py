"""Channels 4's cookie and session middleware: ``scope["cookies"]`` and ``scope["session"]``.

``SessionMiddlewareStack(inner)`` is ``CookieMiddleware(SessionMiddleware(inner))``: the
browser's Django session (``SESSION_ENGINE``, ``SESSION_COOKIE_NAME``) is in
``scope["session"]``. For HTTP a modified session is saved and its cookie set when the
response starts; a WebSocket consumer saves it itself
(``await database_sync_to_async(self.scope["session"].save)()``), since a socket cannot set
cookies after its handshake. Re-exported by :mod:`channels.sessions`.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.http import parse_cookie
from django.http.cookie import SimpleCookie
from django.utils.http import http_date

from .db import database_sync_to_async
from .middleware import BaseMiddleware
from .session_decorators import session_engine

Message = dict[str, Any]


class CookieMiddleware(BaseMiddleware):
    """Parses the ``Cookie`` headers into ``scope["cookies"]`` (a dict of str)."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if "headers" not in scope:
            raise ValueError(
                f"CookieMiddleware got a {scope.get('type')!r} scope without headers; use it "
                "for http and websocket connections only"
            )
        values = [
            value.decode("latin-1") for name, value in scope["headers"] if name.lower() == b"cookie"
        ]
        scope = dict(scope, cookies=parse_cookie("; ".join(values)) if values else {})
        return await self.inner(scope, receive, send)

    @staticmethod
    def set_cookie(
        message: Message,
        key: str,
        value: str = "",
        max_age: int | None = None,
        expires: str | None = None,
        path: str = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = "lax",
    ) -> None:
        """Add a ``Set-Cookie`` header to an ``http.response.start`` message."""
        cookies: SimpleCookie = SimpleCookie()
        cookies[key] = value
        morsel = cookies[key]
        if max_age is not None:
            morsel["max-age"] = int(max_age)
            if expires is None:
                expires = http_date(time.time() + max_age)
        if expires is not None:
            morsel["expires"] = expires
        morsel["path"] = path
        if domain:
            morsel["domain"] = domain
        if secure:
            morsel["secure"] = True
        if httponly:
            morsel["httponly"] = True
        if samesite:
            if samesite.lower() not in ("lax", "none", "strict"):
                raise ValueError(f"samesite must be 'lax', 'none' or 'strict', got {samesite!r}")
            morsel["samesite"] = samesite
        header = morsel.output(header="").strip().encode("latin-1")
        message.setdefault("headers", [])
        message["headers"] = [*message["headers"], (b"Set-Cookie", header)]

    @classmethod
    def delete_cookie(
        cls, message: Message, key: str, path: str = "/", domain: str | None = None
    ) -> None:
        """Add a ``Set-Cookie`` header that deletes cookie ``key``."""
        cls.set_cookie(
            message, key, max_age=0, path=path, domain=domain,
            expires="Thu, 01 Jan 1970 00:00:00 GMT",
        )  # fmt: skip


def _save_http_session(session: Any, message: Message) -> None:
    """Save a modified session and set (or delete) its cookie on the response start."""
    name = settings.SESSION_COOKIE_NAME
    if session.is_empty():
        if session.session_key:
            CookieMiddleware.delete_cookie(
                message, name, settings.SESSION_COOKIE_PATH, settings.SESSION_COOKIE_DOMAIN
            )
        return
    session.save()
    max_age = None if session.get_expire_at_browser_close() else session.get_expiry_age()
    CookieMiddleware.set_cookie(
        message,
        name,
        session.session_key,
        max_age=max_age,
        path=settings.SESSION_COOKIE_PATH,
        domain=settings.SESSION_COOKIE_DOMAIN,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=settings.SESSION_COOKIE_HTTPONLY,
        samesite=settings.SESSION_COOKIE_SAMESITE,
    )


class SessionMiddleware(BaseMiddleware):
    """Puts the Django session named by the session cookie in ``scope["session"]``; needs
    ``CookieMiddleware`` outside it."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if "cookies" not in scope:
            raise ValueError(
                "SessionMiddleware found no cookies in the scope; wrap it in CookieMiddleware "
                "(or use SessionMiddlewareStack)"
            )
        store = session_engine("SESSION_ENGINE").SessionStore
        session = store(scope["cookies"].get(settings.SESSION_COOKIE_NAME))
        scope = dict(scope, session=session)
        if scope["type"] != "http":
            return await self.inner(scope, receive, send)

        async def send_saving(message: Message) -> None:
            if message["type"] == "http.response.start" and session.modified:
                message = dict(message)
                await database_sync_to_async(_save_http_session)(session, message)
            await send(message)

        return await self.inner(scope, receive, send_saving)


def SessionMiddlewareStack(inner: Any) -> Any:
    """``CookieMiddleware(SessionMiddleware(inner))``."""
    return CookieMiddleware(SessionMiddleware(inner))


__all__ = ["CookieMiddleware", "SessionMiddleware", "SessionMiddlewareStack"]
