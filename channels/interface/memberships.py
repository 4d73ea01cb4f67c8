"""The groups of this interface server's sockets, kept by the server that holds them.

Consumers add sockets to groups; the layer tells the owning process of each change with a
membership note (:mod:`channels.layers.membership`). With that record the interface server

* **discards a closing socket's memberships itself**, and those of a socket whose handshake
  was refused, so no consumer bug, refused handshake or lost disconnect leaves a member
  behind for the group's expiry (24 h by default);
* **discards a membership added after its socket had gone** (a consumer that ran late);
* **puts every membership back when the layer's store lost them**: it compares the layer's
  store epoch (Redis: the servers' run ids) every ``check_interval`` seconds, and a changed
  epoch means a restarted or failed-over server that came back empty.

It claims its prefix's notes from the layer at start and renews the claim while it runs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from ..exceptions import ChannelLayerError
from ..layers.base import BaseChannelLayer
from ..layers.membership import ADD, DISCARD

logger = logging.getLogger("channels.interface")

#: How often the store's epoch is compared (seconds).
CHECK_INTERVAL = 1.0
#: How often this server renews its claim to its prefix (the layer's claim lasts longer).
CLAIM_EVERY = 10.0


class Memberships:
    """Group memberships of the open connections of one reply prefix.

    ``is_open(channel)`` says whether a reply channel still has its connection.
    """

    def __init__(
        self,
        layer: BaseChannelLayer,
        prefix: str,
        is_open: Callable[[str], bool],
        check_interval: float = CHECK_INTERVAL,
    ) -> None:
        self.layer = layer
        self.prefix = prefix
        self.is_open = is_open
        self.check_interval = check_interval
        self._groups: dict[str, set[str]] = {}
        self._chores: set[asyncio.Task[Any]] = set()
        # The store's epoch when this server claimed its prefix (None: not read yet), and
        # whether a restore is owed (one that partly failed runs again).
        self._known: Any = None
        self._owed = False

    def groups_of(self, channel: str) -> set[str]:
        """The groups ``channel`` is in, as far as this server has heard."""
        return set(self._groups.get(channel, ()))

    @property
    def count(self) -> int:
        """How many memberships are recorded."""
        return sum(len(groups) for groups in self._groups.values())

    def noted(self, note: dict[str, Any]) -> None:
        """Apply a membership note from the layer."""
        op, group, channel = note.get("op"), note.get("group"), note.get("channel")
        if not isinstance(group, str) or not isinstance(channel, str):
            logger.warning("ignored a malformed membership note: %r", note)
        elif op == ADD and self.is_open(channel):
            self._groups.setdefault(channel, set()).add(group)
        elif op == ADD:
            # The socket is gone (closed, or its handshake refused) but a consumer added it
            # afterwards: take it out again, or it would stay a member until the group expires.
            self._chore(self._discard({group}, channel))
        elif op == DISCARD:
            groups = self._groups.get(channel)
            if groups is not None:
                groups.discard(group)
        else:
            logger.warning("ignored a membership note with op %r", op)

    def release(self, channel: str) -> None:
        """The connection of ``channel`` closed: leave every group it is in."""
        groups = self._groups.pop(channel, None)
        if groups:
            self._chore(self._discard(groups, channel))

    async def restore(self) -> tuple[int, int]:
        """Add every recorded membership to the store again; returns how many went back and
        how many could not (right after a restart, pooled connections to the old server
        fail their first command)."""
        pairs = [(group, channel) for channel, groups in self._groups.items() for group in groups]
        results = await asyncio.gather(
            *(self.layer.agroup_add(group, channel) for group, channel in pairs),
            return_exceptions=True,
        )
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            logger.warning(
                "could not restore %d of %d group memberships yet (%s); retrying",
                len(failed),
                len(pairs),
                failed[0],
            )
        return len(pairs) - len(failed), len(failed)

    def claim(self) -> None:
        """Claim this prefix's notes at once (before the first connection's consumer can
        add it to a group); an unreachable layer is retried by :meth:`keep`."""
        try:
            self.layer.own_memberships(self.prefix)
            # Known from the start, so a restart right after this one is noticed too.
            self._known = self.layer.store_epoch()
        except ChannelLayerError as exc:
            logger.warning("could not claim the membership notes of %s yet: %s", self.prefix, exc)

    async def keep(self) -> None:
        """Forever: renew the claim to this prefix's notes, and put the memberships back
        when the store lost them: its epoch changed, or this server's claim is gone."""
        claimed = time.monotonic()
        while True:
            await asyncio.sleep(self.check_interval)
            now = time.monotonic()
            try:
                epoch = await self.layer.astore_epoch()
                lost = self._owed or (
                    self._known is not None and epoch is not None and epoch != self._known
                )
                if not lost and self._groups:
                    # Also a store that came back empty before this server ever read its
                    # epoch: the claim it made is not there any more.
                    lost = await self.layer.aowns_memberships(self.prefix) is False
                if lost or now - claimed >= CLAIM_EVERY:
                    await self.layer.aown_memberships(self.prefix)
                    claimed = now
            except ChannelLayerError:
                continue  # unreachable now: compare again once it answers
            except Exception:
                logger.exception("could not check the channel layer's store")
                continue
            if lost:
                restored, failed = await self.restore()
                self._owed = bool(failed)
                if failed:
                    continue  # the next pass restores again
                logger.warning(
                    "the channel layer's store lost its data (restarted or failed over): "
                    "put back %d group memberships of this server's sockets",
                    restored,
                )
            if epoch is not None:
                self._known = epoch

    async def _discard(self, groups: set[str], channel: str) -> None:
        for group in groups:
            try:
                await self.layer.agroup_discard(group, channel)
            except ChannelLayerError as exc:
                logger.warning("could not take %s out of group %r: %s", channel, group, exc)

    def _chore(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)

    async def stop(self) -> None:
        """Wait for the discards in progress (at server shutdown)."""
        if self._chores:
            await asyncio.wait(set(self._chores), timeout=5.0)


__all__ = ["CHECK_INTERVAL", "Memberships"]
