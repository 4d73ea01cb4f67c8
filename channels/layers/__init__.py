"""Channel layers: the contract (:mod:`.base`) and the in-memory and Redis backends.

Nothing in this package imports Django: a layer can be used from any Python process.
The Redis layer lives in :mod:`channels.layers.redis` and needs
``pip install 'channels-classic[redis]'``.
Channels 4 code finds its layer with :func:`get_channel_layer` (see :mod:`.lookup`), which
returns an :class:`AsyncChannelLayer` over one of these.
"""

from ..exceptions import ChannelFull, ChannelLayerUnavailable, MessageTooLarge
from .async_api import AsyncChannelLayer
from .base import BaseChannelLayer
from .inmemory import InMemoryChannelLayer
from .lookup import channel_layers, get_channel_layer

__all__ = [
    "AsyncChannelLayer",
    "BaseChannelLayer",
    "ChannelFull",
    "ChannelLayerUnavailable",
    "InMemoryChannelLayer",
    "MessageTooLarge",
    "channel_layers",
    "get_channel_layer",
]
