"""A Channels 4 routing, as a project's ``routing.py`` writes it."""

import importlib.util
from pathlib import Path

from django.urls import path, re_path

from channels.routing import URLRouter

from . import consumers

TUTORIAL = Path(__file__).resolve().parents[2] / "examples" / "channels4_chat"


def _tutorial_consumers():
    """The chat tutorial's ``chat/consumers.py`` (its ``chat`` package is not on the path)."""
    spec = importlib.util.spec_from_file_location(
        "channels4_tutorial_consumers", TUTORIAL / "chat" / "consumers.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tutorial = _tutorial_consumers()

websocket_urlpatterns = [
    re_path(r"ws/chat/(?P<room_name>\w+)/$", tutorial.ChatConsumer.as_asgi()),
    re_path(r"ws/achat/(?P<room_name>\w+)/$", tutorial.AsyncChatConsumer.as_asgi()),
    path("ws/echo/", consumers.EchoConsumer.as_asgi()),
    path("ws/aecho/", consumers.AsyncEchoConsumer.as_asgi()),
    path("ws/gate/", consumers.GatekeeperConsumer.as_asgi()),
    path("ws/news/", consumers.GroupsConsumer.as_asgi()),
    path("ws/syncnews/", consumers.SyncGroupsConsumer.as_asgi()),
    path("ws/user/", consumers.UserConsumer.as_asgi()),
    path("ws/item/<int:pk>/", consumers.RouteInfoConsumer.as_asgi(), {"extra": "yes"}),
    path(
        "ws/rooms/<slug:room>/",
        URLRouter(
            [
                path("members/<int:member>/", consumers.RouteInfoConsumer.as_asgi()),
                re_path(r"^log/(\d+)/$", consumers.RouteInfoConsumer.as_asgi()),
            ]
        ),
    ),
]

http_urlpatterns = [
    path("hello/", consumers.HelloHttpConsumer.as_asgi()),
    path("stream/", consumers.StreamingHttpConsumer.as_asgi()),
]
