"""Channel layers: the contract (:mod:`.base`) and the in-memory and Redis backends.

Nothing in this package imports Django: a layer can be used from any Python process.
The Redis layer lives in :mod:`channels.layers.redis` and needs
``pip install 'channels-classic[redis]'``.
"""

from ..exceptions import ChannelFull, ChannelLayerUnavailable, MessageTooLarge
from .base import BaseChannelLayer
from .inmemory import InMemoryChannelLayer

__all__ = [
    "BaseChannelLayer",
    "ChannelFull",
    "ChannelLayerUnavailable",
    "InMemoryChannelLayer",
    "MessageTooLarge",
]
