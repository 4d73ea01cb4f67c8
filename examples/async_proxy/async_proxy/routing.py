"""Channel routing: the ready-made offload consumers (``channels.offload.fetch``, ...) and
this example's own async consumer. HTTP goes to Django's views (the default route)."""

from channels.routing import include, route

from .consumers import compare_cities

channel_routing = [
    include("channels.offload.routing.routes"),
    route("async_proxy.compare", compare_cities),
]
