"""Offloading slow I/O from sync views to async consumers.

A sync worker thread is expensive (a whole Django stack in memory); waiting on a slow
upstream wastes it. A view calls one of these and ends at once; an ``async def`` consumer
on a worker's event loop does the waiting, thousands at a time, and answers the browser on
the request's reply channel:

- :func:`fetch` (``fetch(request, url, method=..., headers=..., body=..., timeout=...)``):
  relay an upstream HTTP response (needs httpx: ``pip install 'channels-classic[offload]'``);
- :func:`run_command` (``run_command(request, ["prog", "arg"], timeout=...)``): answer with
  a program's output;
- :func:`offload` (``offload(request, "my.channel", {...})``): the general mechanism, for
  your own async consumers, which answer with :func:`arespond` / :func:`asend_reply`.

``client.request(request, url=...)`` is :func:`fetch` under the name of the task runner
this grew from. Route the consumers with ``include("channels.offload.routing.routes")``.
"""

from __future__ import annotations

from typing import Any

from .command import COMMAND_CHANNEL, run_command
from .fetch import FETCH_CHANNEL, fetch
from .handoff import handoff, offload
from .replies import arespond, asend_reply, plain_reply, send_reply


class OffloadClient:
    """``client.request(request, url=...)`` and ``client.command(request, args)``: the
    offload functions as methods of one object."""

    def request(self, request: Any, url: str, **options: Any) -> None:
        """:func:`fetch`."""
        fetch(request, url, **options)

    def command(self, request: Any, args: list[str], **options: Any) -> None:
        """:func:`run_command`."""
        run_command(request, args, **options)


#: The ready-made :class:`OffloadClient`.
client = OffloadClient()

__all__ = [
    "COMMAND_CHANNEL",
    "FETCH_CHANNEL",
    "OffloadClient",
    "arespond",
    "asend_reply",
    "client",
    "fetch",
    "handoff",
    "offload",
    "plain_reply",
    "run_command",
    "send_reply",
]
