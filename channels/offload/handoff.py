"""The general mechanism: hand a request's reply channel to another consumer.

A view calls :func:`offload` with the channel of an (async) consumer and a payload; the
payload goes there with the request's ``reply_channel`` added, and the view ends with
:class:`~channels.exceptions.ResponseLater`, so its worker thread is free at once and the
Django handler sends nothing. The consumer on the other end answers the browser directly
on ``reply_channel`` (see :mod:`channels.offload.replies`). ``fetch`` and ``run_command`` are
this mechanism with a ready-made consumer.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ..channel import Channel
from ..exceptions import ResponseLater


def reply_channel_of(request: Any) -> Channel:
    """The reply channel of a request from a channels worker (an ``AsgiRequest``) or of a
    ``Message``; a clear ``TypeError`` for anything else."""
    reply = getattr(request, "reply_channel", None)
    if isinstance(reply, Channel):
        return reply
    raise TypeError(
        f"cannot offload {request!r}: it has no reply channel. Offloading needs a request "
        "that came through a channels worker (an AsgiRequest, or the Message of an "
        "http.request consumer)"
    )


def handoff(request: Any, channel: str, payload: dict[str, Any] | None = None) -> None:
    """Send ``payload`` plus ``reply_channel`` to ``channel`` now, without raising
    ``ResponseLater``; :func:`offload` is what views call."""
    reply = reply_channel_of(request)
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise TypeError(f"the offload payload must be a dict, got {payload!r}")
    if "reply_channel" in payload:
        raise ValueError(
            f"the offload payload already has a 'reply_channel' ({payload['reply_channel']!r}); "
            "offload() sets it to the request's own, leave it out"
        )
    # Sent at once rather than when the consumer finishes: the view is done with the
    # request, and the other consumer can start while the handler is still tidying up.
    Channel(channel, channel_layer=reply.channel_layer).send(
        {**payload, "reply_channel": reply.name}, immediately=True
    )


def offload(request: Any, channel: str, payload: dict[str, Any] | None = None) -> None:
    """Have the consumer of ``channel`` answer ``request``.

    ``payload`` (a dict of msgpack-able values) goes to ``channel`` at once, with the
    request's ``reply_channel`` added. Then, for a Django request (in a view),
    :class:`~channels.exceptions.ResponseLater` is raised: the view never returns and its
    response is whatever that consumer sends. For the ``Message`` of a plain
    ``http.request`` consumer it simply returns; the consumer should return too.

    A full ``channel`` raises the layer's ``ChannelFull`` (a 500 unless the view catches it).
    """
    handoff(request, channel, payload)
    if isinstance(request, HttpRequest):
        raise ResponseLater(f"answered by the consumer of {channel!r}")


__all__ = ["handoff", "offload", "reply_channel_of"]
