"""Tools for testing consumers: test cases with fresh layers, clients, a live server.

``HttpClient`` is the 1.0 name of :class:`WSClient` and stays as a plain alias.
``ChannelLiveServerTestCase`` is imported on first use: its module is also the server
process's entry point (``python -m channels.test.liveserver``), which must not find itself
imported already.
"""

from __future__ import annotations

from typing import Any

from .base import (
    ChannelTestCase,
    ChannelTestCaseMixin,
    TransactionChannelTestCase,
    apply_routes,
    fresh_channel_layers,
)
from .client import Client
from .websocket import WSClient

HttpClient = WSClient


def __getattr__(name: str) -> Any:
    if name == "ChannelLiveServerTestCase":
        from .liveserver import ChannelLiveServerTestCase

        return ChannelLiveServerTestCase
    raise AttributeError(f"module 'channels.test' has no attribute {name!r}")


__all__ = [
    "ChannelLiveServerTestCase",
    "ChannelTestCase",
    "ChannelTestCaseMixin",
    "Client",
    "HttpClient",
    "TransactionChannelTestCase",
    "WSClient",
    "apply_routes",
    "fresh_channel_layers",
]
