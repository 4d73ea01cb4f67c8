"""channels: WebSockets and background work for Django, by message passing.

``from channels import Channel, Group`` works as in the seeds. Those names are loaded on first
use, so importing a Django-free part (``channels.layers``, ``channels.interface``) never
imports Django.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "1.0.0.dev0"

DEFAULT_CHANNEL_LAYER = "default"

_LAZY = {
    "Channel": "channels.channel",
    "Group": "channels.channel",
    "channel_layers": "channels.asgi",
    "route": "channels.routing",
    "route_class": "channels.routing",
    "include": "channels.routing",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'channels' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = ["DEFAULT_CHANNEL_LAYER", "__version__", *_LAZY]
