"""Async twins that run the sync operation directly on the event loop.

The base class's twins hand each call to a thread, which is right for a layer that waits on
a network. A layer whose operations never wait for long (memory under a lock; a shared store
on the same machine) does better calling them in place: no thread hop, and no await between
taking a message and returning it. ``areceive`` is not here: blocking needs a native version.
"""

from __future__ import annotations

from typing import Any

from .base import BaseChannelLayer, Message


class DirectAsyncLayer(BaseChannelLayer):
    """A :class:`~channels.layers.base.BaseChannelLayer` whose async twins (all but
    ``areceive``) call their sync method directly."""

    async def asend(self, channel: str, message: Message) -> None:
        self.send(channel, message)

    async def agroup_add(self, group: str, channel: str) -> None:
        self.group_add(group, channel)

    async def agroup_discard(self, group: str, channel: str) -> None:
        self.group_discard(group, channel)

    async def asend_group(self, group: str, message: Message) -> None:
        self.send_group(group, message)

    async def agroup_channels(self, group: str) -> list[str]:
        return self.group_channels(group)

    async def aflush(self) -> None:
        self.flush()

    async def achannel_statistics(self, channel: str) -> dict[str, Any]:
        return self.channel_statistics(channel)

    async def aclose(self) -> None:
        self.close()
