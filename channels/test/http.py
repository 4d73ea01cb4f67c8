"""Deprecated location of ``HttpClient`` (channels 1.x); use :class:`channels.test.WSClient`."""

import warnings

from .websocket import WSClient as HttpClient

warnings.warn(
    "channels.test.http is deprecated; use channels.test.WSClient",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = ["HttpClient"]
