"""Channel routing: WebSockets on ``/chat/<room>/`` go to the chat consumers; HTTP goes to
Django's views (the default route, nothing to write)."""

from channels.routing import route

from .consumers import ws_connect, ws_disconnect, ws_receive

ROOM_PATH = r"^/chat/(?P<room>[A-Za-z0-9_-]{1,50})/$"

channel_routing = [
    route("websocket.connect", ws_connect, path=ROOM_PATH),
    route("websocket.receive", ws_receive, path=ROOM_PATH),
    route("websocket.disconnect", ws_disconnect, path=ROOM_PATH),
]
