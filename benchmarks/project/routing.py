"""Routing of the benchmark project. ``http.request`` is left to the default route (Django's
views), as on any site."""

from channels.routing import route

from . import consumers

channel_routing = [
    route("websocket.connect", consumers.ws_accept, path=r"^/idle/"),
    route("websocket.receive", consumers.ws_echo, path=r"^/echo/"),
    route("websocket.connect", consumers.ws_join, path=r"^/broadcast/"),
    route("websocket.disconnect", consumers.ws_leave, path=r"^/broadcast/"),
    route("longpoll.park", consumers.longpoll_park),
    route("longpoll.release", consumers.longpoll_release),
]
