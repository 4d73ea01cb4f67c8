"""Routing of the test project (``CHANNEL_LAYERS["default"]["ROUTING"]``)."""

from channels.routing import include, route

from . import consumers

channel_routing = [
    route("http.request", consumers.consumer_error, path=r"^/consumer-error/$"),
    route("retry_channel", consumers.retry_later),
    route("filtered_channel", consumers.notify, path=r"^/only/"),
    route("async.sleep", consumers.async_sleep),
    route("slow_channel", consumers.slow),
    route("websocket.connect", consumers.ws_deny, path=r"^/deny/"),
    route("websocket.receive", consumers.ws_fail, path=r"^/fail/"),
    include(
        [route("kwargs_channel", consumers.notify, path=r"/(?P<room>\w+)/$")],
        path=r"^/v(?P<version>\d+)",
    ),
    route("bench.sync", consumers.bench_sync),
    route("bench.async", "tests.project.consumers.bench_async"),
]
