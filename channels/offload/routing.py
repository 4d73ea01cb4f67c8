"""Routes for the offload consumers; include them in your project's routing::

    from channels.routing import include

    channel_routing = [
        include("channels.offload.routing.routes"),
        # ... your own routes
    ]

Any worker that has them in its routing runs the consumers on its event loop, next to its
sync threads. To give them workers of their own, run those with
``runworker --only-channels 'channels.offload.*'`` and the others with
``--exclude-channels 'channels.offload.*'``.
"""

from __future__ import annotations

from ..routing import route
from .command import COMMAND_CHANNEL
from .fetch import FETCH_CHANNEL
from .process import command_consumer
from .proxy import fetch_consumer

#: Routes of the fetch and command consumers.
routes = [
    route(FETCH_CHANNEL, fetch_consumer),
    route(COMMAND_CHANNEL, command_consumer),
]

#: The same list, under a name that says what it is when imported elsewhere.
offload_routes = routes

__all__ = ["offload_routes", "routes"]
