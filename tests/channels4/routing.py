"""A Channels 4 routing, as a project's ``routing.py`` writes it."""

from django.urls import path, re_path

from channels.routing import URLRouter

from . import consumers

websocket_urlpatterns = [
    re_path(r"ws/chat/(?P<room_name>\w+)/$", consumers.ChatConsumer.as_asgi()),
    re_path(r"ws/achat/(?P<room_name>\w+)/$", consumers.AsyncChatConsumer.as_asgi()),
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
