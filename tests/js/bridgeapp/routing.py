"""Channel routing of the bridge test site: the demultiplexed socket, and a plain JSON one."""

from channels.routing import route_class

from .consumers import Demultiplexer, Echo

channel_routing = [
    route_class(Demultiplexer, path=r"^/bridge/$"),
    route_class(Echo, path=r"^/plain/$"),
]
