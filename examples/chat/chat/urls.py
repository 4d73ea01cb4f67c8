"""URLs of the chat example. The WebSocket paths (``/chat/<room>/``) are in ``routing.py``."""

from django.urls import path, re_path

from . import views

urlpatterns = [
    path("", views.index, name="index"),
    path("go/", views.go_to_room, name="go"),
    re_path(r"^room/(?P<room>[A-Za-z0-9_-]{1,50})/$", views.room, name="room"),
    path("leave/", views.leave, name="leave"),
]
