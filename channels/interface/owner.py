"""What a connection needs from the bridge that owns it.

:class:`~channels.interface.http.HttpConnection` and
:class:`~channels.interface.websocket.WebsocketConnection` are made by
:class:`~channels.interface.bridge.Bridge` and read its settings and reply dispatcher; they
are typed against this protocol, not the bridge itself, so the bridge can import them
without the connections importing it back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ..layers.base import BaseChannelLayer
from ..types import Scope
from .activity import InterfaceActivity
from .replies import ReplyDispatcher


class ConnectionOwner(Protocol):
    """The bridge, as its connections see it."""

    layer: BaseChannelLayer
    http_timeout: float
    websocket_connect_timeout: float
    max_request_body_size: int | None
    inline_body_size: int
    origin_allowed: Callable[[Scope], bool]
    activity: InterfaceActivity
    access_log: bool

    @property
    def replies(self) -> ReplyDispatcher:
        """The running event loop's reply dispatcher."""


__all__ = ["ConnectionOwner"]
