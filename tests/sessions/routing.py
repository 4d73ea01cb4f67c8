"""Routing of the session, auth and origin tests (``CHANNELS_TEST_ROUTING`` in subprocesses)."""

from channels.routing import route

from . import consumers

channel_routing = [
    route("websocket.connect", consumers.auth_connect, path=r"^/auth/$"),
    route("websocket.receive", consumers.auth_receive, path=r"^/auth/$"),
    route("websocket.disconnect", consumers.auth_disconnect, path=r"^/auth/$"),
    route("websocket.connect", consumers.both_connect, path=r"^/both/$"),
    route("websocket.receive", consumers.both_receive, path=r"^/both/$"),
    route("websocket.disconnect", consumers.both_disconnect, path=r"^/both/$"),
    route("websocket.connect", consumers.ordered_connect, path=r"^/ordered/$"),
    route("websocket.receive", consumers.ordered_receive, path=r"^/ordered/$"),
    route("websocket.disconnect", consumers.ordered_disconnect, path=r"^/ordered/$"),
    route("websocket.connect", consumers.origin_connect, path=r"^/origin/$"),
    route("websocket.connect", consumers.strict_origin_connect, path=r"^/strict-origin/$"),
    route("websocket.connect", consumers.guarded_connect, path=r"^/unit/guarded/$"),
    route("websocket.receive", consumers.count_frames, path=r"^/unit/count/$"),
    route("websocket.receive", consumers.async_count_frames, path=r"^/unit/async-count/$"),
    route("websocket.receive", consumers.record_order, path=r"^/unit/order/$"),
    route("websocket.receive", consumers.async_record_order, path=r"^/unit/async-order/$"),
    route("websocket.receive", consumers.report_user, path=r"^/unit/user/$"),
]
