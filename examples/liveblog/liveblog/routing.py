"""Channel routing: the readers' socket is ``/updates/``; HTTP goes to Django's views."""

from channels.routing import route

from .consumers import ws_connect, ws_disconnect

channel_routing = [
    route("websocket.connect", ws_connect, path=r"^/updates/$"),
    route("websocket.disconnect", ws_disconnect, path=r"^/updates/$"),
]
