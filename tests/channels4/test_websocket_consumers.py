"""The Channels 4 WebSocket consumers, through WebsocketCommunicator."""

from __future__ import annotations

import pytest

from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from .routing import websocket_urlpatterns

application = URLRouter(websocket_urlpatterns)


@pytest.mark.parametrize("path", ["/ws/echo/", "/ws/aecho/"])
async def test_websocket_consumer_echoes_text_and_bytes(path: str) -> None:
    communicator = WebsocketCommunicator(application, path)
    assert await communicator.connect() == (True, None)
    await communicator.send_to(text_data="hello")
    assert await communicator.receive_from() == "hello"
    await communicator.send_to(bytes_data=b"\x00\xff")
    assert await communicator.receive_from() == b"\x00\xff"
    await communicator.disconnect()


async def test_close_sends_the_code_and_reason() -> None:
    communicator = WebsocketCommunicator(application, "/ws/aecho/")
    await communicator.connect()
    await communicator.send_to(text_data="close")
    assert await communicator.receive_output(1) == {
        "type": "websocket.close",
        "code": 4001,
        "reason": "asked to",
    }
    await communicator.disconnect()


@pytest.mark.parametrize("query", ["deny", "close"])
async def test_connect_refuses_with_deny_connection_or_close(query: str) -> None:
    communicator = WebsocketCommunicator(application, f"/ws/gate/?{query}")
    assert await communicator.connect() == (False, 1000)
    await communicator.wait()


async def test_accept_connection_exception_accepts() -> None:
    communicator = WebsocketCommunicator(application, "/ws/gate/?raise-accept")
    assert await communicator.connect() == (True, None)
    await communicator.disconnect()


async def test_accept_chooses_a_subprotocol_and_sends_headers() -> None:
    communicator = WebsocketCommunicator(application, "/ws/gate/", subprotocols=["v1", "v2"])
    assert await communicator.connect() == (True, "v2")
    assert communicator.response_headers == [(b"x-gate", b"open")]
    await communicator.disconnect()


async def test_json_consumer_round_trips_and_refuses_binary_frames(
    channel_layer_settings: dict,
) -> None:
    communicator = WebsocketCommunicator(application, "/ws/syncnews/")
    assert (await communicator.connect())[0]
    await communicator.send_json_to({"a": [1, 2]})
    assert await communicator.receive_json_from() == {"echo": {"a": [1, 2]}}
    await communicator.send_to(bytes_data=b"{}")
    with pytest.raises(ValueError, match="binary frame"):
        await communicator.receive_output(1)


async def test_chat_tutorial_sync_and_async_consumers_share_a_room(
    channel_layer_settings: dict,
) -> None:
    alice = WebsocketCommunicator(application, "/ws/chat/lobby/")
    bob = WebsocketCommunicator(application, "/ws/achat/lobby/")
    other = WebsocketCommunicator(application, "/ws/chat/kitchen/")
    for communicator in (alice, bob, other):
        assert (await communicator.connect(timeout=5))[0]
    await alice.send_json_to({"message": "hi bob"})
    assert await alice.receive_json_from(timeout=5) == {"message": "hi bob"}
    assert await bob.receive_json_from(timeout=5) == {"message": "hi bob"}
    await bob.send_json_to({"message": "hi alice"})
    assert await alice.receive_json_from(timeout=5) == {"message": "hi alice"}
    assert await bob.receive_json_from(timeout=5) == {"message": "hi alice"}
    assert await other.receive_nothing(timeout=0.2)
    for communicator in (alice, bob, other):
        await communicator.disconnect(timeout=5)


async def test_groups_attribute_joins_on_connect_and_leaves_on_disconnect(
    channel_layer_settings: dict,
) -> None:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    first = WebsocketCommunicator(application, "/ws/news/")
    second = WebsocketCommunicator(application, "/ws/syncnews/")
    assert (await first.connect(timeout=5))[0]
    assert (await second.connect(timeout=5))[0]
    await layer.group_send("news", {"type": "news.item", "text": "extra"})
    assert await first.receive_json_from(timeout=5) == {"news": "extra"}
    assert await second.receive_json_from(timeout=5) == {"news": "extra"}
    await first.disconnect(timeout=5)
    assert len(await layer.layer.agroup_channels("news")) == 1
    await second.disconnect(timeout=5)
    assert await layer.layer.agroup_channels("news") == []


async def test_consumer_without_channel_layers_runs_without_a_layer() -> None:
    from django.test import override_settings

    with override_settings(CHANNEL_LAYERS={}):
        communicator = WebsocketCommunicator(application, "/ws/aecho/")
        assert (await communicator.connect())[0]
        await communicator.send_to(text_data="still here")
        assert await communicator.receive_from() == "still here"
        await communicator.disconnect()


async def test_groups_without_a_layer_is_a_clear_error() -> None:
    from django.test import override_settings

    with override_settings(CHANNEL_LAYERS={}):
        communicator = WebsocketCommunicator(application, "/ws/news/")
        with pytest.raises(Exception, match="needs a channel layer"):
            await communicator.connect()
