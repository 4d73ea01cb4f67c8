"""WebSockets through the bridge: a real daphne subprocess, Redis, the ``websockets`` library
as the client, and the test process as the worker."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from channels.layers.redis import RedisChannelLayer
from tests.interface.conftest import StartBridge, next_message

pytestmark = pytest.mark.redis

#: Longest any client step (handshake, frame, close) may take.
CLIENT_DEADLINE = 15.0
#: How long the server may take to close a socket once it has a reason to.
CLOSE_DEADLINE = 5.0


def open_socket(url: str, **options: Any) -> Any:
    """``websockets`` connect with deadlines on the handshake and the closing handshake."""
    return connect(url, open_timeout=CLIENT_DEADLINE, close_timeout=CLIENT_DEADLINE, **options)


async def accepted(worker: RedisChannelLayer, url: str, **options: Any) -> tuple[Any, str]:
    """Open a socket the worker accepts: (connection, its reply channel)."""
    opening = asyncio.ensure_future(open_socket(url, **options))
    connect_message = await next_message(worker, "websocket.connect")
    await worker.asend(connect_message["reply_channel"], {"accept": True})
    return await asyncio.wait_for(opening, CLIENT_DEADLINE), connect_message["reply_channel"]


async def closed_code(socket: ClientConnection) -> int | None:
    """Wait (up to ``CLOSE_DEADLINE``) for the server to close the socket; its close code."""
    try:
        await asyncio.wait_for(socket.wait_closed(), CLOSE_DEADLINE)
    except TimeoutError:
        pytest.fail(f"the server did not close the socket within {CLOSE_DEADLINE} s", pytrace=False)
    return socket.close_code


async def test_websocket_connect_carries_path_query_headers_addresses_subprotocols_and_order_0(
    start_bridge: StartBridge, worker: RedisChannelLayer
) -> None:
    server = start_bridge()
    opening = asyncio.ensure_future(
        open_socket(
            f"{server.ws_url}/ws/room?name=caf%C3%A9&x=1",
            subprotocols=["chat.v1", "chat.v2"],
            additional_headers={"X-Test": "Value"},
        )
    )
    message = await next_message(worker, "websocket.connect")
    await worker.asend(message["reply_channel"], {"accept": True})
    socket = await asyncio.wait_for(opening, CLIENT_DEADLINE)
    async with socket:
        assert socket.state.name == "OPEN"

    assert isinstance(message["reply_channel"], str) and "!" in message["reply_channel"]
    assert message["path"] == "/ws/room"
    assert message["query_string"] == b"name=caf%C3%A9&x=1"
    for name, value in message["headers"]:
        assert isinstance(name, bytes) and isinstance(value, bytes), (name, value)
        assert name == name.lower(), name
    headers = [tuple(header) for header in message["headers"]]
    assert (b"x-test", b"Value") in headers
    assert (b"host", f"127.0.0.1:{server.port}".encode()) in headers
    client_host, client_port = message["client"]
    assert client_host == "127.0.0.1" and isinstance(client_port, int) and client_port > 0
    assert message["server"] == ["127.0.0.1", server.port]
    assert message["subprotocols"] == ["chat.v1", "chat.v2"]
    assert message["order"] == 0


async def test_frames_arrive_as_websocket_receive_in_order_and_replies_reach_the_client(
    start_bridge: StartBridge, worker: RedisChannelLayer
) -> None:
    server = start_bridge()
    socket, reply_channel = await accepted(worker, f"{server.ws_url}/chat")
    async with socket:
        await socket.send("first")
        await socket.send(b"\x00second\xff")
        await socket.send("thírd")
        frames = [await next_message(worker, "websocket.receive") for _ in range(3)]
        await worker.asend(reply_channel, {"text": "hello ✓"})
        await worker.asend(reply_channel, {"bytes": b"\x00\x01\x02"})
        text = await asyncio.wait_for(socket.recv(), CLIENT_DEADLINE)
        data = await asyncio.wait_for(socket.recv(), CLIENT_DEADLINE)

    assert [frame["order"] for frame in frames] == [1, 2, 3]
    assert all(frame["reply_channel"] == reply_channel for frame in frames)
    assert all(frame["path"] == "/chat" for frame in frames)
    assert frames[0]["text"] == "first" and "bytes" not in frames[0]
    assert frames[1]["bytes"] == b"\x00second\xff" and "text" not in frames[1]
    assert frames[2]["text"] == "thírd" and "bytes" not in frames[2]
    assert text == "hello ✓"
    assert data == b"\x00\x01\x02"


async def test_close_reply_with_a_code_closes_the_client_with_that_code(
    start_bridge: StartBridge, worker: RedisChannelLayer
) -> None:
    server = start_bridge()
    socket, reply_channel = await accepted(worker, f"{server.ws_url}/closing")
    async with socket:
        await worker.asend(reply_channel, {"close": 4001})
        assert await closed_code(socket) == 4001


async def test_client_closing_with_a_code_sends_websocket_disconnect_with_that_code_and_next_order(
    start_bridge: StartBridge, worker: RedisChannelLayer
) -> None:
    server = start_bridge()
    socket, reply_channel = await accepted(worker, f"{server.ws_url}/leaving")
    async with socket:
        for text in ("a", "b", "c"):
            await socket.send(text)
        await asyncio.wait_for(socket.close(code=4002, reason="bye"), CLIENT_DEADLINE)
    frames = [await next_message(worker, "websocket.receive") for _ in range(3)]
    gone = await next_message(worker, "websocket.disconnect")
    assert gone["reply_channel"] == reply_channel
    assert gone["path"] == "/leaving"
    assert gone["code"] == 4002
    assert gone["order"] == frames[-1]["order"] + 1 == 4


@pytest.mark.parametrize("server_kind", ["daphne", "channels"])
@pytest.mark.parametrize("reply", [{"close": True}, {"accept": False}])
async def test_connect_rejected_with_close_fails_the_handshake_with_403(
    start_bridge: StartBridge, worker: RedisChannelLayer, reply: dict[str, Any], server_kind: str
) -> None:
    server = start_bridge(server=server_kind)
    opening = asyncio.ensure_future(open_socket(f"{server.ws_url}/private"))
    message = await next_message(worker, "websocket.connect")
    await worker.asend(message["reply_channel"], reply)
    with pytest.raises(InvalidStatus) as refused:
        await asyncio.wait_for(opening, CLIENT_DEADLINE)
    assert refused.value.response.status_code == 403


@pytest.mark.parametrize(("server_kind", "status"), [("channels", 503), ("daphne", 403)])
async def test_a_full_websocket_connect_channel_refuses_with_503_where_the_server_can(
    start_bridge: StartBridge, worker: RedisChannelLayer, server_kind: str, status: int
) -> None:
    # Our server takes the denial response extension, so the bridge's 503 reaches the
    # client; under the daphne command the same refusal can only be a 403.
    server = start_bridge(channel_capacity={"websocket.connect": 1}, server=server_kind)
    await worker.asend("websocket.connect", {"reply_channel": "nobody!x", "path": "/filler"})
    with pytest.raises(InvalidStatus) as refused:
        await asyncio.wait_for(open_socket(f"{server.ws_url}/busy"), CLIENT_DEADLINE)
    response = refused.value.response
    assert response.status_code == status
    if status == 503:
        assert response.headers["Retry-After"] == "1"
        assert b"Server busy" in bytes(response.body or b"")


async def test_no_answer_within_websocket_connect_timeout_fails_the_handshake_with_403(
    start_bridge: StartBridge, worker: RedisChannelLayer
) -> None:
    server = start_bridge(websocket_connect_timeout=1)
    started = time.monotonic()
    with pytest.raises(InvalidStatus) as refused:
        await asyncio.wait_for(open_socket(f"{server.ws_url}/silent"), CLIENT_DEADLINE)
    elapsed = time.monotonic() - started
    assert refused.value.response.status_code == 403
    assert 0.9 <= elapsed < 10, f"refused after {elapsed:.1f} s, expected about 1 s"
    message = await next_message(worker, "websocket.connect")
    assert message["path"] == "/silent"


async def test_first_text_reply_accepts_implicitly_and_delivers_the_text(
    start_bridge: StartBridge, worker: RedisChannelLayer
) -> None:
    server = start_bridge()
    opening = asyncio.ensure_future(open_socket(f"{server.ws_url}/greet"))
    message = await next_message(worker, "websocket.connect")
    await worker.asend(message["reply_channel"], {"text": "welcome"})
    socket = await asyncio.wait_for(opening, CLIENT_DEADLINE)
    async with socket:
        assert await asyncio.wait_for(socket.recv(), CLIENT_DEADLINE) == "welcome"


async def test_full_websocket_receive_channel_closes_the_socket_with_try_again_later(
    start_bridge: StartBridge, worker: RedisChannelLayer
) -> None:
    # 1013 (try again later); daphne lets applications send only 1000 and 3000-4999, so the
    # bridge sends it as 4013 there.
    server = start_bridge(channel_capacity={"websocket.receive": 1})
    socket, _ = await accepted(worker, f"{server.ws_url}/flood")
    async with socket:
        # Nobody reads websocket.receive: the first frame fills it, the second cannot go.
        await socket.send("fills the channel")
        await socket.send("does not fit")
        assert await closed_code(socket) == 4013
