"""``WSClient``: a pretend WebSocket for consumer tests.

Messages look like the interface server's (see ``docs/message-spec.rst``):
``websocket.connect`` carries the path, the query string (bytes), the headers in list form
with the cookies (``WSClient.headers`` shows them as 1.x did, a dict), client, server,
subprotocols and ``order`` 0; ``websocket.receive`` and ``websocket.disconnect`` carry the
path and the next ``order`` but, as from a real browser, no headers or cookies. A message to
any other channel gets the headers too.

::

    client = WSClient()
    client.force_login(user)                        # the session cookie goes on the connect
    client.send_and_consume("websocket.connect", path="/chat/")   # checks it was accepted
    client.send_and_consume("websocket.receive", text={"hello": 1}, path="/chat/")
    assert client.receive() == {"echo": 1}          # JSON-decoded text frame
"""

from __future__ import annotations

import copy
import json
from http.cookies import SimpleCookie
from typing import Any

from django.apps import apps
from django.conf import settings
from django.http import HttpRequest

from .client import Client

WEBSOCKET_CHANNELS = ("websocket.connect", "websocket.receive", "websocket.disconnect")


class WSClient(Client):
    """A WebSocket connection for tests: cookies, headers, a session, login, ordering.

    ``ordered=True`` numbers every WebSocket message and refuses an ``order`` set by hand;
    without it messages are numbered too (the interface server always sends ``order``) but a
    test may set ``order`` itself, e.g. to deliver frames out of order.
    """

    def __init__(self, *, ordered: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ordered = ordered
        self.order = 0
        self._session: Any = None
        self._headers: dict[str, str | bytes] = {}
        self._cookies: dict[str, str] = {}
        self._session_cookie = True
        self._pending_replies: list[dict[str, Any]] = []

    # -- what the connection carries ----------------------------------------------------------

    def set_cookie(self, key: str, value: str) -> None:
        """Send cookie ``key=value`` with the connect."""
        self._cookies[key] = value

    def set_header(self, name: str, value: str | bytes) -> None:
        """Send header ``name: value`` with the connect, replacing an earlier value of the
        same name (cookies go through ``set_cookie``)."""
        if name.lower() == "cookie":
            raise ValueError("set cookies with set_cookie(key, value), not set_header('cookie')")
        self._headers[name.lower()] = value

    def _sessions_installed(self) -> bool:
        return apps.is_installed("django.contrib.sessions")

    def get_cookies(self) -> dict[str, str]:
        """The cookies sent: those set, plus the session cookie of :attr:`session`."""
        cookies = dict(self._cookies)
        if self._session_cookie and self._sessions_installed():
            cookies.setdefault(settings.SESSION_COOKIE_NAME, self.session.session_key)
        return cookies

    @property
    def headers(self) -> dict[str, Any]:
        """The headers sent with the connect, as in 1.x a dict ``{name: value}`` (a copy):
        the values given to :meth:`set_header`, and ``"cookie"``, the encoded cookies
        (bytes, empty without any). The messages carry them in list form (bytes pairs)."""
        headers: dict[str, Any] = dict(self._headers)
        headers["cookie"] = self._encoded_cookies()
        return headers

    def _encoded_cookies(self) -> bytes:
        jar: SimpleCookie = SimpleCookie()
        for key, value in self.get_cookies().items():
            jar[key] = value
        return "; ".join(morsel.OutputString() for morsel in jar.values()).encode("latin-1")

    def _header_list(self) -> list[list[bytes]]:
        """What a connect carries: the headers in list form, ``[[name, value], ...]``."""
        headers = [
            [name.encode("latin-1"), value if isinstance(value, bytes) else value.encode("latin-1")]
            for name, value in self._headers.items()
        ]
        cookie = self._encoded_cookies()
        if cookie:
            headers.append([b"cookie", cookie])
        return headers

    @property
    def session(self) -> Any:
        """This socket's session: the channel session of ``reply_channel``. Its key is the
        session cookie, so the HTTP session decorators find the same session."""
        if self._session is None:
            if not self._sessions_installed():
                raise RuntimeError(
                    "WSClient.session needs 'django.contrib.sessions' in INSTALLED_APPS"
                )
            from ..sessions import (
                channel_session_key,
                save_channel_session,
                session_for_reply_channel,
            )

            session = session_for_reply_channel(self.reply_channel)
            if getattr(session, "_channels_new", False):
                # Stored now, so that the test may change and save() it like any session.
                key = channel_session_key(self.reply_channel)
                save_channel_session(session, key, must_create=True)
            self._session = session
        return self._session

    # -- sending -----------------------------------------------------------------------------

    def send(  # type: ignore[override]
        self,
        to: str,
        content: dict[str, Any] | None = None,
        text: Any = None,
        path: str = "/",
    ) -> None:
        """Send a message as the interface server would (see the module docstring).

        ``path`` may carry a query string (``"/chat/?room=1"``); ``text`` that is not a str
        is sent as JSON.
        """
        self.channel_layer.send(to, self._get_content(to, content, text, path))

    def _get_content(
        self, to: str, content: dict[str, Any] | None, text: Any, path: str
    ) -> dict[str, Any]:
        content = copy.deepcopy(content or {})
        content.setdefault("reply_channel", self.reply_channel)
        path, _, query = path.partition("?")
        content.setdefault("path", path)
        if to == "websocket.connect" or to not in WEBSOCKET_CHANNELS:
            content.setdefault("headers", self._header_list())
        if to == "websocket.connect":
            content.setdefault("query_string", query.encode("latin-1"))
            content.setdefault("scheme", "ws")
            content.setdefault("root_path", "")
            content.setdefault("client", ["127.0.0.1", 50000])
            content.setdefault("server", ["testserver", 80])
            content.setdefault("subprotocols", [])
        if to == "websocket.disconnect":
            content.setdefault("code", 1000)
        if to in WEBSOCKET_CHANNELS:
            if self.ordered and "order" in content:
                raise ValueError(
                    f"WSClient(ordered=True) numbers messages itself; do not set 'order' "
                    f"(got {content['order']!r})"
                )
            if to == "websocket.connect":
                self.order = 0
            if "order" not in content:
                content["order"] = self.order
                self.order += 1
        if text is not None:
            content["text"] = text if isinstance(text, str) else json.dumps(text)
        return content

    def send_and_consume(  # type: ignore[override]
        self,
        channel: str,
        content: dict[str, Any] | None = None,
        text: Any = None,
        path: str = "/",
        fail_on_none: bool = True,
        check_accept: bool = True,
    ) -> Any:
        """:meth:`send` then :meth:`consume`."""
        self.send(channel, content, text, path)
        return self.consume(channel, fail_on_none=fail_on_none, check_accept=check_accept)

    def consume(  # type: ignore[override]
        self, channel: str, fail_on_none: bool = True, check_accept: bool = True
    ) -> Any:
        """Run the consumer; after a ``websocket.connect``, with ``check_accept``, the socket
        must have been accepted (``{"accept": True}``, or a first text/bytes frame)."""
        result = super().consume(channel, fail_on_none)
        if channel == "websocket.connect" and check_accept:
            reply = super().receive()
            accepted = reply is not None and (
                reply.get("accept") is True or "text" in reply or "bytes" in reply
            )
            if not accepted:
                raise AssertionError(
                    f"the connection was not accepted: the consumer answered {reply!r}"
                )
            if reply is not None and reply.get("accept") is not True:
                self._pending_replies.append(reply)  # an implicit accept carrying data
        return result

    # -- receiving ---------------------------------------------------------------------------

    def receive(self, json: bool = True) -> Any:  # type: ignore[override]
        """The next reply's ``text``, whatever its type (JSON-decoded when ``json`` and it is
        a str); a reply without ``text`` whole (``{"close": ...}``, ``{"bytes": ...}``);
        None if nothing came. As in 1.x: ``content.get("text", content)``."""
        content = self._pending_replies.pop(0) if self._pending_replies else super().receive()
        if content is None:
            return None
        text = content.get("text", content)
        if json and isinstance(text, str):
            return _json_loads(text)
        return text

    # -- authentication ----------------------------------------------------------------------

    def login(self, **credentials: Any) -> bool:
        """Log in with ``authenticate(**credentials)``; False if the credentials fail or the
        user is inactive."""
        from django.contrib.auth import authenticate

        user = authenticate(**credentials)
        if user is None or not getattr(user, "is_active", True):
            return False
        self._login(user)
        return True

    def force_login(self, user: Any, backend: str | None = None) -> None:
        """Log ``user`` in without credentials (``backend`` defaults to the first of
        ``AUTHENTICATION_BACKENDS``)."""
        if backend is None:
            backend = settings.AUTHENTICATION_BACKENDS[0]
        user.backend = backend
        self._login(user, backend)

    def _login(self, user: Any, backend: str | None = None) -> None:
        from django.contrib.auth import login

        if not self._sessions_installed():
            raise RuntimeError("WSClient login needs 'django.contrib.sessions' in INSTALLED_APPS")
        request = HttpRequest()
        request.session = self.session
        login(request, user, backend)
        # login() gave the session a new key (against session fixation); the session cookie
        # sent with the connect is that new key, as after a real login over HTTP.
        self.session.save()


def _json_loads(text: str) -> Any:
    return json.loads(text)


__all__ = ["WSClient"]
