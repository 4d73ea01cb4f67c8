"""The bridge: an ASGI application that puts connections onto a channel layer.

Run it under any ASGI server (daphne, uvicorn, hypercorn)::

    from channels.interface import Bridge
    application = Bridge(channel_layer)

Every HTTP request becomes an ``http.request`` message and every WebSocket event a
``websocket.*`` message, each with the connection's reply channel; whatever arrives on that
reply channel goes back to the client. Workers (``manage.py runworker``) do the rest.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable

from ..layers.base import BaseChannelLayer
from ..types import Receive, Scope, Send
from .activity import InterfaceActivity
from .http import HttpConnection
from .replies import ReplyDispatcher
from .websocket import WebsocketConnection

logger = logging.getLogger("channels.interface")


def _allow_any_origin(scope: Scope) -> bool:
    return True


class Bridge:
    """An ASGI application relaying HTTP and WebSocket connections through ``layer``.

    ``http_timeout``
        Seconds to wait for a worker's response (and between streamed chunks); then 503.
    ``websocket_connect_timeout``
        Seconds to wait for a consumer to answer ``websocket.connect``; then refused.
    ``max_request_body_size``
        Larger request bodies are refused with 413 (None: no limit).
    ``inline_body_size``
        Bodies up to this size travel inside ``http.request``; larger ones are streamed on a
        ``body_channel`` in chunks of this size.
    ``origin_allowed``
        Called with a WebSocket scope before anything is sent to the layer; False refuses
        the handshake (used for the default cross-site check).
    ``heartbeat_interval``, ``metrics_address``
        This process's heartbeat and Prometheus metrics (see
        :class:`~channels.interface.activity.InterfaceActivity`); both start with the first
        connection or lifespan event, or with :meth:`start`.
    ``access_log``
        Log every request and WebSocket event to the ``channels.access`` logger at INFO.
        Off by default, because the server in front keeps its own access log (daphne's,
        uvicorn's, hypercorn's), so each request is logged once; ``manage.py runserver``
        turns it on, since the daphne it runs has none. Refusals with a reason are logged
        as warnings either way.
    """

    def __init__(
        self,
        layer: BaseChannelLayer,
        *,
        http_timeout: float = 60.0,
        websocket_connect_timeout: float = 5.0,
        max_request_body_size: int | None = None,
        inline_body_size: int = 256 * 1024,
        origin_allowed: Callable[[Scope], bool] | None = None,
        reply_prefix: str = "daphne.response.",
        heartbeat_interval: float | None = None,
        metrics_address: str | None = None,
        access_log: bool = False,
    ) -> None:
        if inline_body_size >= layer.max_message_size:
            raise ValueError(
                f"inline_body_size ({inline_body_size}) must be below the layer's "
                f"max_message_size ({layer.max_message_size}) to leave room for headers"
            )
        self.layer = layer
        self.http_timeout = http_timeout
        self.websocket_connect_timeout = websocket_connect_timeout
        self.max_request_body_size = max_request_body_size
        self.inline_body_size = inline_body_size
        self.origin_allowed = origin_allowed or _allow_any_origin
        self.reply_prefix = reply_prefix
        self.activity = InterfaceActivity(
            layer, heartbeat_interval=heartbeat_interval, metrics_address=metrics_address
        )
        self.access_log = access_log
        # One dispatcher (reply prefix and receive loop) per event loop: normally one.
        self._dispatchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ReplyDispatcher] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def replies(self) -> ReplyDispatcher:
        """The running event loop's reply dispatcher."""
        loop = asyncio.get_running_loop()
        dispatcher = self._dispatchers.get(loop)
        if dispatcher is None:
            dispatcher = self._dispatchers[loop] = ReplyDispatcher(self.layer, self.reply_prefix)
        return dispatcher

    def start(self) -> None:
        """Start this process's heartbeat and metrics server, if configured (idempotent)."""
        self.activity.start()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        self.activity.start()
        if kind == "http" or kind == "websocket":
            connection = (HttpConnection if kind == "http" else WebsocketConnection)(
                self, scope, receive, send
            )
            self.activity.connection_opened()
            try:
                await connection.run()
            finally:
                self.activity.connection_closed()
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        else:
            raise ValueError(f"the channels bridge cannot serve {kind!r} connections")

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            event = await receive()
            if event["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif event["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def aclose(self) -> None:
        """Stop this loop's reply receiver and release the layer's connections on it."""
        dispatcher = self._dispatchers.pop(asyncio.get_running_loop(), None)
        if dispatcher is not None:
            await dispatcher.stop()
        await asyncio.to_thread(self.activity.stop)
        await self.layer.aclose()
