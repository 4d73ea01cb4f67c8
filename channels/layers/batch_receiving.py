"""Layers whose one receive takes up to ``n`` messages: the four receive methods over it.

A layer that can take a batch as cheaply as one message (the Redis layer's ``BLMPOP ...
COUNT n``, the in-memory layer's one pass under its lock) implements ``_receive`` and
``_areceive`` once, for any ``max_count``; ``receive`` and ``areceive`` are batches of one.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable

from .base import BaseChannelLayer, Message, Received, check_max_count
from .names import check_receive_names

#: What a batch receive returns: ``(channel, message)`` pairs, oldest first per channel.
Taken = list[tuple[str, Message]]


class BatchReceiving(BaseChannelLayer):
    """``receive``, ``receive_many`` and their async twins over one batch receive."""

    @abc.abstractmethod
    def _receive(
        self, queues: list[str], max_count: int, block: bool, timeout: float | None
    ) -> Taken:
        """Up to ``max_count`` messages of the (checked) ``queues``; see ``receive_many``."""

    @abc.abstractmethod
    async def _areceive(
        self, queues: list[str], max_count: int, block: bool, timeout: float | None
    ) -> Taken:
        """Async :meth:`_receive`; a cancel must not lose a message it took."""

    def receive(
        self, channels: Iterable[str], block: bool = False, timeout: float | None = None
    ) -> Received:
        taken = self._receive(check_receive_names(channels), 1, block, timeout)
        return taken[0] if taken else (None, None)

    def receive_many(
        self,
        channels: Iterable[str],
        max_count: int,
        block: bool = False,
        timeout: float | None = None,
    ) -> Taken:
        queues = check_receive_names(channels)
        return self._receive(queues, check_max_count(max_count), block, timeout)

    async def areceive(
        self, channels: Iterable[str], block: bool = False, timeout: float | None = None
    ) -> Received:
        taken = await self._areceive(check_receive_names(channels), 1, block, timeout)
        return taken[0] if taken else (None, None)

    async def areceive_many(
        self,
        channels: Iterable[str],
        max_count: int,
        block: bool = False,
        timeout: float | None = None,
    ) -> Taken:
        queues = check_receive_names(channels)
        return await self._areceive(queues, check_max_count(max_count), block, timeout)


__all__ = ["BatchReceiving", "Taken"]
