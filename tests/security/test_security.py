"""Origin checks: the bridge's default check (built from settings by make_bridge), and the
per-consumer validators, on functions, methods, async consumers and ASGI applications."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from django.test.utils import override_settings

from channels.application import make_bridge
from channels.exceptions import DenyConnection
from channels.message import Message
from channels.routing import is_async_consumer
from channels.security import origin_allowed
from channels.security.origins import parse_origin
from channels.security.websockets import (
    AllowedHostsOnlyOriginValidator,
    OriginValidator,
    allowed_hosts_only,
)
from tests.session_fixtures import reply_channel, ws_message
from tests.workers import receive, running_worker

STEP = 5.0  # seconds any single await of these tests may take


def scope(origin: bytes | None, path: str = "/ws/") -> dict[str, Any]:
    headers = [[b"host", b"example.com"]]
    if origin is not None:
        headers.append([b"origin", origin])
    return {"type": "websocket", "path": path, "headers": headers, "query_string": b""}


# -- parsing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"https://example.com", ("https", "example.com", None)),
        (b"http://Example.COM:8000", ("http", "example.com", 8000)),
        (b"http://[::1]:8000", ("http", "[::1]", 8000)),
        (b"null", None),
        (b"", None),
        (b"example.com", None),
        (b"https://user@example.com", None),
        (b"https://example.com/path", None),
        (b"https://example.com:99999", None),
        ("https://exämple.com".encode(), None),
        (None, None),
    ],
)
def test_origins_are_parsed_strictly(raw: bytes | None, expected: Any) -> None:
    parsed = parse_origin(raw)
    assert (tuple(parsed) if parsed else None) == expected


# -- the default check ---------------------------------------------------------------------------


@override_settings(ALLOWED_HOSTS=["example.com", ".example.org"], DEBUG=False)
def test_the_default_check_allows_allowed_hosts_and_no_origin_only() -> None:
    assert origin_allowed(scope(b"https://example.com"))
    assert origin_allowed(scope(b"http://example.com:8000"))
    assert origin_allowed(scope(b"https://chat.example.org"))
    assert origin_allowed(scope(None))  # scripts and apps send none: not a browser attack
    assert not origin_allowed(scope(b"https://evil.example.net"))
    assert not origin_allowed(scope(b"https://example.com.evil.net"))
    assert not origin_allowed(scope(b"null"))
    assert not origin_allowed(scope(b""))
    assert not origin_allowed(scope("https://exämple.com".encode()))


@override_settings(ALLOWED_HOSTS=[], DEBUG=True)
def test_debug_with_no_allowed_hosts_allows_localhost_only() -> None:
    for origin in (b"http://localhost:8000", b"http://127.0.0.1:8000", b"http://[::1]:8000"):
        assert origin_allowed(scope(origin)), origin
    assert not origin_allowed(scope(b"http://example.com"))


@override_settings(
    ALLOWED_HOSTS=["api.example.com"],
    CSRF_TRUSTED_ORIGINS=["https://app.example.net", "https://*.example.org"],
)
def test_csrf_trusted_origins_may_open_sockets() -> None:
    assert origin_allowed(scope(b"https://app.example.net"))
    assert origin_allowed(scope(b"https://a.example.org"))
    assert not origin_allowed(scope(b"http://app.example.net"))  # other scheme
    assert not origin_allowed(scope(b"https://other.example.net"))


@override_settings(ALLOWED_HOSTS=["example.com"], CHANNELS_CHECK_ORIGIN=False)
def test_the_default_check_can_be_turned_off() -> None:
    assert origin_allowed(scope(b"https://evil.example.net"))


async def _handshake(app: Any, origin: bytes | None, path: str = "/ws/") -> list[dict[str, Any]]:
    """Drive one handshake through an ASGI app; returns what it sent before it finished or
    ``STEP`` seconds passed."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    sent: list[dict[str, Any]] = []
    await inbox.put({"type": "websocket.connect"})

    async def send(event: dict[str, Any]) -> None:
        sent.append(event)
        if event["type"] in ("websocket.close", "websocket.accept"):
            await inbox.put({"type": "websocket.disconnect", "code": 1000})

    task = asyncio.ensure_future(app(scope(origin, path), inbox.get, send))
    done, _ = await asyncio.wait({task}, timeout=STEP)
    if not done:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return sent


@override_settings(ALLOWED_HOSTS=["example.com"])
async def test_the_bridge_refuses_a_cross_site_handshake_before_any_message(layer: Any) -> None:
    bridge = make_bridge(layer, websocket_connect_timeout=0.5)
    try:
        sent = await _handshake(bridge, b"https://evil.example.net")
        assert sent == [{"type": "websocket.close", "code": 1008}]  # daphne: HTTP 403
        assert await layer.areceive(["websocket.connect"], block=False) == (None, None)
        # Same origin: the connect goes to the layer (no worker: refused after the timeout).
        await _handshake(bridge, b"https://example.com")
        channel, message = await layer.areceive(["websocket.connect"], block=False)
        assert channel == "websocket.connect" and [b"origin", b"https://example.com"] in [
            list(h) for h in message["headers"]
        ]
    finally:
        await bridge.aclose()


# -- validators on consumers -----------------------------------------------------------------------


def _connect(layer: Any, origin: bytes | None) -> Message:
    headers = [[b"host", b"example.com"]] + ([[b"origin", origin]] if origin is not None else [])
    return ws_message(layer, "websocket.connect", reply_channel(layer), order=0, headers=headers)


@override_settings(ALLOWED_HOSTS=["example.com"])
def test_allowed_hosts_only_denies_other_hosts_and_a_missing_origin(layer: Any) -> None:
    ran: list[str] = []

    @allowed_hosts_only
    def connect(message: Message) -> None:
        ran.append("ran")

    connect(_connect(layer, b"https://example.com"))
    for bad in (b"https://evil.example.net", None, b"", b"null", "https://é.com".encode()):
        with pytest.raises(DenyConnection):
            connect(_connect(layer, bad))
    assert ran == ["ran"]
    assert allowed_hosts_only is AllowedHostsOnlyOriginValidator


@override_settings(ALLOWED_HOSTS=["example.com"])
@pytest.mark.parametrize(
    "headers",
    [
        [[b"origin"]],  # an entry that cannot be unpacked
        [[b"origin", b"https://example.com", b"extra"]],
        [None],
        [[b"origin", None]],
        [[b"origin", b""]],
        [[b"origin", "https://exämple.com".encode()]],
        [[b"origin", b"\xff\xfe"]],
    ],
    ids=["one-item", "three-items", "none-entry", "none-value", "empty", "non-ascii", "bytes"],
)
def test_a_malformed_origin_denies_the_connection_without_raising_value_error(
    layer: Any, headers: list[Any]
) -> None:
    ran: list[str] = []

    def connect(message: Message) -> None:
        ran.append("ran")

    for validator in (allowed_hosts_only(connect), OriginValidator(connect, ["*"])):
        message = ws_message(
            layer, "websocket.connect", reply_channel(layer), order=0, headers=headers
        )
        with pytest.raises(DenyConnection):
            validator(message)
    assert ran == []


@pytest.mark.parametrize(
    ("pattern", "allowed", "refused"),
    [
        (
            "https://example.com",
            [b"https://example.com", b"https://example.com:443"],
            [b"http://example.com", b"https://example.com:8443", b"https://a.example.com"],
        ),
        (
            "example.com:8000",
            [b"http://example.com:8000", b"https://example.com:8000"],
            [b"http://example.com"],
        ),
        (
            "https://*.example.com",
            [b"https://a.example.com", b"https://example.com"],
            [b"https://badexample.com"],
        ),
        (
            ".example.com",
            [b"http://a.b.example.com", b"https://example.com:1"],
            [b"https://example.org"],
        ),
        ("*", [b"https://anything.net"], [b"null", None]),
        ("http://[::1]:8000", [b"http://[::1]:8000"], [b"http://[::1]:8001"]),
    ],
)
def test_origin_validator_lets_through_only_its_allow_list(
    layer: Any, pattern: str, allowed: list[bytes], refused: list[bytes | None]
) -> None:
    connect = OriginValidator(lambda message: "ran", [pattern])
    for origin in allowed:
        assert connect(_connect(layer, origin)) == "ran", origin
    for origin in refused:
        with pytest.raises(DenyConnection):
            connect(_connect(layer, origin))


def test_origin_validator_rejects_a_bare_string_or_bad_pattern() -> None:
    with pytest.raises(TypeError, match=re.escape("write ['https://example.com']")):
        OriginValidator(lambda m: None, "https://example.com")
    with pytest.raises(ValueError, match="invalid origin pattern"):
        OriginValidator(lambda m: None, ["https://example.com:port"])


def test_validators_work_on_consumer_methods(layer: Any) -> None:
    class Consumer:
        @OriginValidator.allowing(["https://example.com"])
        def connect(self, message: Message) -> Any:
            return self

    consumer = Consumer()
    assert consumer.connect(_connect(layer, b"https://example.com")) is consumer
    with pytest.raises(DenyConnection):
        consumer.connect(_connect(layer, b"https://evil.example.net"))


async def test_validators_on_async_consumers_stay_async(layer: Any) -> None:
    @OriginValidator.allowing(["https://example.com"])
    async def connect(message: Message) -> str:
        return "ran"

    assert is_async_consumer(connect)
    assert await connect(_connect(layer, b"https://example.com")) == "ran"
    with pytest.raises(DenyConnection):
        await connect(_connect(layer, b"https://evil.example.net"))


@override_settings(ALLOWED_HOSTS=["example.com"])
def test_a_worker_closes_a_socket_the_validator_denies(layer: Any) -> None:
    with running_worker(layer, threads=1):
        for origin, answer in (
            (b"https://evil.example.net", {"close": True}),
            (b"https://example.com", {"accept": True}),
        ):
            reply = reply_channel(layer)
            layer.send(
                "websocket.connect",
                {
                    "reply_channel": reply,
                    "path": "/unit/guarded/",
                    "order": 0,
                    "headers": [[b"origin", origin]],
                },
            )
            assert receive(layer, reply[: reply.index("!") + 1])[1] == answer


async def test_a_validator_wraps_an_asgi_application() -> None:
    calls: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        event = await receive()
        calls.append(event["type"])
        await send({"type": "websocket.accept"})

    guarded = OriginValidator(app, ["https://example.com"])
    assert await _handshake(guarded, b"https://evil.example.net") == [
        {"type": "websocket.close", "code": 1008}
    ]
    assert calls == []
    assert await _handshake(guarded, b"https://example.com") == [{"type": "websocket.accept"}]
    assert calls == ["websocket.connect"]  # the app saw the handshake's first event
