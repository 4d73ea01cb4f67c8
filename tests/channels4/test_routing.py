"""Channels 4's routers: URLRouter, ProtocolTypeRouter, ChannelNameRouter."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import include, path

from channels.routing import (
    ChannelNameRouter,
    ProtocolTypeRouter,
    URLRouter,
    get_default_application,
)
from channels.testing import ApplicationCommunicator, HttpCommunicator, WebsocketCommunicator

from . import consumers
from .routing import http_urlpatterns, websocket_urlpatterns

application = ProtocolTypeRouter(
    {
        "http": URLRouter(http_urlpatterns),
        "websocket": URLRouter(websocket_urlpatterns),
        "channel": ChannelNameRouter({"greetings": consumers.GreetingConsumer.as_asgi()}),
    }
)


async def test_path_converters_and_default_args_land_in_url_route() -> None:
    communicator = WebsocketCommunicator(application, "/ws/item/42/")
    assert (await communicator.connect())[0]
    assert await communicator.receive_json_from() == {
        "args": [],
        "kwargs": {"pk": 42, "extra": "yes"},
    }
    await communicator.disconnect()


async def test_nested_routers_merge_the_outer_and_inner_captures() -> None:
    communicator = WebsocketCommunicator(application, "/ws/rooms/blue/members/7/")
    assert (await communicator.connect())[0]
    assert await communicator.receive_json_from() == {
        "args": [],
        "kwargs": {"room": "blue", "member": 7},
    }
    await communicator.disconnect()
    communicator = WebsocketCommunicator(application, "/ws/rooms/red/log/12/")
    assert (await communicator.connect())[0]
    assert await communicator.receive_json_from() == {"args": ["12"], "kwargs": {"room": "red"}}
    await communicator.disconnect()


async def test_unmatched_websocket_path_is_refused(caplog: pytest.LogCaptureFixture) -> None:
    communicator = WebsocketCommunicator(application, "/ws/nowhere/")
    assert await communicator.connect() == (False, 1000)
    assert "No route found for websocket path '/ws/nowhere/'" in caplog.text


async def test_unmatched_http_path_is_a_404() -> None:
    response = await HttpCommunicator(application, "GET", "/nowhere/").get_response()
    assert response["status"] == 404


async def test_endpoint_routes_match_the_whole_path_only() -> None:
    communicator = WebsocketCommunicator(application, "/ws/echo/more/")
    assert await communicator.connect() == (False, 1000)


async def test_root_path_is_stripped_before_matching() -> None:
    communicator = WebsocketCommunicator(application, "/prefix/ws/echo/")
    communicator.scope["root_path"] = "/prefix"
    assert (await communicator.connect())[0]
    await communicator.disconnect()


async def test_protocol_type_router_refuses_an_unknown_type() -> None:
    communicator = ApplicationCommunicator(application, {"type": "lifespan"})
    with pytest.raises(ValueError, match="no application for type 'lifespan'"):
        await communicator.wait()


async def test_channel_name_router_dispatches_channel_messages(
    channel_layer_settings: dict,
) -> None:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    reply_to = await layer.new_channel()
    communicator = ApplicationCommunicator(application, {"type": "channel", "channel": "greetings"})
    await communicator.send_input({"type": "greet.person", "name": "Ada", "reply_to": reply_to})
    assert await layer.receive(reply_to) == {"type": "greeting", "text": "hello Ada"}
    communicator.stop(exceptions=False)
    await communicator.wait()


async def test_channel_name_router_refuses_an_unknown_channel() -> None:
    router = ChannelNameRouter({"a": consumers.GreetingConsumer.as_asgi()})
    communicator = ApplicationCommunicator(router, {"type": "channel", "channel": "b"})
    with pytest.raises(ValueError, match="no application for channel 'b'"):
        await communicator.wait()


def test_url_router_refuses_include_and_bare_consumer_classes() -> None:
    with pytest.raises(ImproperlyConfigured, match="include"):
        URLRouter([path("x/", include([]))])
    with pytest.raises(ImproperlyConfigured, match=r"EchoConsumer.as_asgi\(\)"):
        URLRouter([path("x/", consumers.EchoConsumer)])


def test_as_asgi_sets_class_attributes_and_refuses_others() -> None:
    app = consumers.GreetingConsumer.as_asgi(greeting="hi")
    assert app.consumer_class is consumers.GreetingConsumer
    assert app.consumer_initkwargs == {"greeting": "hi"}
    with pytest.raises(TypeError, match="colour"):
        consumers.GreetingConsumer.as_asgi(colour="red")


def test_get_default_application_reads_asgi_application() -> None:
    with override_settings(ASGI_APPLICATION="tests.channels4.test_routing.application"):
        assert get_default_application() is application
    with (
        override_settings(ASGI_APPLICATION=None),
        pytest.raises(ImproperlyConfigured, match="ASGI_APPLICATION is not set"),
    ):
        get_default_application()
