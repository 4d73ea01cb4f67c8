"""The ASGI types, in one place: what an application is given and what it gives back.

Used by the interface bridge, the layer wrapper (an ASGI application) and anything else that
speaks ASGI. Pure typing: importing this module imports nothing but the standard library.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

#: A connection's scope: ``type``, ``path``, ``headers``, ...
Scope = MutableMapping[str, Any]
#: One event, received from the server or sent to it (``{"type": "http.request", ...}``).
Event = MutableMapping[str, Any]
#: Awaits the connection's next event.
Receive = Callable[[], Awaitable[Event]]
#: Sends an event to the server.
Send = Callable[[Event], Awaitable[None]]
#: An ASGI 3 application.
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

__all__ = ["ASGIApp", "Event", "Receive", "Scope", "Send"]
