from django.urls import re_path

from . import consumers

websocket_urlpatterns = [
    re_path(r"ws/chat/(?P<room_name>\w+)/$", consumers.ChatConsumer.as_asgi()),
    # The tutorial's async rewrite of the same consumer, beside it: both share the rooms.
    re_path(r"ws/achat/(?P<room_name>\w+)/$", consumers.AsyncChatConsumer.as_asgi()),
]
