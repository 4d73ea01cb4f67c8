"""Middleware: BaseMiddleware, cookies, sessions, auth (login/logout), origin validators."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import override_settings

from channels.auth import AuthMiddlewareStack, get_user, login, logout
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.middleware import BaseMiddleware
from channels.security.websocket import AllowedHostsOriginValidator, OriginValidator
from channels.sessions import CookieMiddleware, SessionMiddlewareStack
from channels.testing import HttpCommunicator, WebsocketCommunicator

from . import consumers


class ScopeReporter(AsyncJsonWebsocketConsumer):
    """Sends back what the middleware put in the scope; logs in and out on request."""

    async def connect(self) -> None:
        await self.accept()
        session = None
        if "session" in self.scope:  # loading it reads the database: not on the event loop
            session = await database_sync_to_async(dict)(self.scope["session"])
        await self.send_json(
            {
                "cookies": self.scope.get("cookies"),
                "session": session,
                "user": self.scope["user"].get_username() if "user" in self.scope else None,
                "tag": self.scope.get("tag"),
            }
        )

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if content["do"] == "login":
            user = await database_sync_to_async(User.objects.get)(username=content["name"])
            await login(self.scope, user)
            await database_sync_to_async(self.scope["session"].save)()
            await self.send_json({"key": self.scope["session"].session_key})
        else:
            await logout(self.scope)
            await self.send_json({"user": (await get_user(self.scope)).get_username()})


class TagMiddleware(BaseMiddleware):
    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        scope["tag"] = "tagged"
        return await super().__call__(scope, receive, send)


def cookie(key: str) -> list[tuple[bytes, bytes]]:
    return [(b"cookie", f"{settings.SESSION_COOKIE_NAME}={key}; theme=dark".encode())]


async def make_session(**data: Any) -> str:
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session.update(data)
    await database_sync_to_async(session.save)()
    return session.session_key


async def test_base_middleware_gives_the_inner_app_its_own_scope() -> None:
    communicator = WebsocketCommunicator(
        CookieMiddleware(TagMiddleware(ScopeReporter.as_asgi())), "/"
    )
    await communicator.connect()
    assert (await communicator.receive_json_from())["tag"] == "tagged"
    assert "tag" not in communicator.scope
    await communicator.disconnect()


async def test_session_stack_loads_the_session_of_the_cookie() -> None:
    key = await make_session(colour="blue")
    app = SessionMiddlewareStack(ScopeReporter.as_asgi())
    communicator = WebsocketCommunicator(app, "/", headers=cookie(key))
    await communicator.connect()
    report = await communicator.receive_json_from()
    assert report["cookies"]["theme"] == "dark"
    assert report["session"] == {"colour": "blue"}
    await communicator.disconnect()


async def test_session_middleware_needs_cookie_middleware() -> None:
    from channels.sessions import SessionMiddleware

    communicator = WebsocketCommunicator(SessionMiddleware(ScopeReporter.as_asgi()), "/")
    with pytest.raises(ValueError, match="CookieMiddleware"):
        await communicator.connect()


async def test_auth_stack_finds_the_logged_in_user_and_login_logout_work() -> None:
    await database_sync_to_async(User.objects.create_user)("ada", password="pw")
    app = AuthMiddlewareStack(ScopeReporter.as_asgi())
    anonymous = WebsocketCommunicator(app, "/")
    await anonymous.connect()
    assert (await anonymous.receive_json_from())["user"] == ""
    await anonymous.send_json_to({"do": "login", "name": "ada"})
    key = (await anonymous.receive_json_from())["key"]
    await anonymous.disconnect()

    again = WebsocketCommunicator(app, "/", headers=cookie(key))
    await again.connect()
    assert (await again.receive_json_from())["user"] == "ada"
    await again.send_json_to({"do": "logout"})
    assert await again.receive_json_from() == {"user": ""}
    await again.disconnect()


async def test_http_session_is_saved_and_its_cookie_set() -> None:
    class Counter(consumers.HelloHttpConsumer):
        async def handle(self, body: bytes) -> None:
            visits = await database_sync_to_async(self.scope["session"].get)("visits", 0)
            self.scope["session"]["visits"] = visits + 1
            await self.send_response(200, str(visits + 1).encode())

    app = SessionMiddlewareStack(Counter.as_asgi())
    response = await HttpCommunicator(app, "GET", "/").get_response()
    assert response["body"] == b"1"
    cookies = [value for name, value in response["headers"] if name == b"Set-Cookie"]
    assert len(cookies) == 1 and cookies[0].startswith(settings.SESSION_COOKIE_NAME.encode())
    key = cookies[0].split(b";")[0].split(b"=")[1].decode()
    again = await HttpCommunicator(app, "GET", "/", headers=cookie(key)).get_response()
    assert again["body"] == b"2"


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (b"http://allowed.example", True),
        (b"https://sub.domain.example:8443", True),
        (b"http://localhost:8000", True),
        (b"http://localhost:9000", False),
        (b"http://evil.example", False),
        (None, False),
    ],
)
async def test_origin_validator(origin: bytes | None, allowed: bool) -> None:
    app = OriginValidator(
        consumers.EchoConsumer.as_asgi(),
        ["allowed.example", ".domain.example", "http://localhost:8000"],
    )
    headers = [(b"origin", origin)] if origin else []
    communicator = WebsocketCommunicator(app, "/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected is allowed
    if connected:
        await communicator.disconnect()


async def test_a_star_allows_any_origin_and_none() -> None:
    app = OriginValidator(consumers.EchoConsumer.as_asgi(), ["*"])
    communicator = WebsocketCommunicator(app, "/")
    assert (await communicator.connect())[0]
    await communicator.disconnect()


async def test_allowed_hosts_origin_validator_reads_allowed_hosts() -> None:
    app = AllowedHostsOriginValidator(consumers.EchoConsumer.as_asgi())
    with override_settings(ALLOWED_HOSTS=["chat.example"]):
        good = WebsocketCommunicator(app, "/", headers=[(b"origin", b"https://chat.example")])
        assert (await good.connect())[0]
        await good.disconnect()
        bad = WebsocketCommunicator(app, "/", headers=[(b"origin", b"https://other.example")])
        assert await bad.connect() == (False, 1000)


async def test_origin_validators_refuse_http_scopes() -> None:
    app = OriginValidator(consumers.HelloHttpConsumer.as_asgi(), ["*"])
    with pytest.raises(ValueError, match="WebSocket handshakes only"):
        await HttpCommunicator(app, "GET", "/").get_response()
