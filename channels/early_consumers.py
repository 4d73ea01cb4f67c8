"""Warnings for ``@Channel.consumer`` code written for the earliest releases.

Those releases named the interface server's channels ``django.websocket.connect`` (also
spelled ``django.websockets.connect``), ``django.websocket.receive`` and so on, and called a
consumer with the message's keys as keyword arguments: ``def ws_connect(path, send_channel,
**kwargs)``. Code like that is accepted by the decorator, but nothing ever sends to those
channels, and such a consumer would fail on its first message; :func:`check_decorated_consumer`
says so when the decorator runs, naming today's channel and signature.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Iterable
from typing import Any

#: The earliest releases' channel names, and today's.
EARLY_CHANNELS = {
    "django.request": "http.request",
    "django.websocket.connect": "websocket.connect",
    "django.websockets.connect": "websocket.connect",
    "django.websocket.receive": "websocket.receive",
    "django.websockets.receive": "websocket.receive",
    "django.websocket.disconnect": "websocket.disconnect",
    "django.websockets.disconnect": "websocket.disconnect",
}
#: The prefix of the channels the earliest interface servers sent to; none does today.
EARLY_PREFIX = "django."
#: First parameters of an earliest-style consumer (the message's keys as arguments).
EARLY_FIRST_PARAMETERS = {"path", "channel", "send_channel", "content"}
TODAY_CHANNELS = "http.request, websocket.connect, websocket.receive, websocket.disconnect"


class EarlyConsumerWarning(UserWarning):
    """A decorated consumer is written for the earliest releases' channel names or signature."""


def channel_warning(channel: str) -> str | None:
    """What is wrong with routing ``channel``, or None if nothing is."""
    today = EARLY_CHANNELS.get(channel)
    if today is not None:
        return (
            f"nothing sends to {channel!r} any more (a channel name of the earliest releases): "
            f"the interface server sends {today!r}; use @Channel.consumer({today!r})"
        )
    if channel.startswith(EARLY_PREFIX):
        return (
            f"nothing sends to {channel!r}: the earliest releases' 'django.' channels are gone; "
            f"the interface server sends {TODAY_CHANNELS}"
        )
    return None


def signature_warning(func: Callable[..., Any]) -> str | None:
    """What is wrong with ``func``'s signature for a consumer, or None if nothing is."""
    try:
        parameters = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):  # a builtin or C callable: nothing to say
        return None
    names = [parameter.name for parameter in parameters]
    if not names or (names[0] not in EARLY_FIRST_PARAMETERS and "send_channel" not in names):
        return None
    name = getattr(func, "__name__", repr(func))
    shown = ", ".join(str(p.replace(annotation=inspect.Parameter.empty)) for p in parameters)
    return (
        f"{name}({shown}) has the earliest releases' signature (the message's keys as "
        f"arguments); a consumer now takes the message: def {name}(message), with "
        "message.content['path'] and the other keys, and message.reply_channel in place of "
        "send_channel"
    )


def check_decorated_consumer(channels: Iterable[str], func: Callable[..., Any]) -> None:
    """Warn (:class:`EarlyConsumerWarning`, at ``func``'s definition) about each channel
    nothing sends to and an earliest-style signature; the route is made all the same."""
    problems = [problem for channel in channels if (problem := channel_warning(channel))]
    problem = signature_warning(func)
    if problem is not None:
        problems.append(problem)
    code = getattr(func, "__code__", None)
    for text in problems:
        message = f"@Channel.consumer on {getattr(func, '__qualname__', func)!r}: {text}"
        if code is None:
            warnings.warn(message, EarlyConsumerWarning, stacklevel=3)
        else:
            warnings.warn_explicit(
                message,
                EarlyConsumerWarning,
                filename=code.co_filename,
                lineno=code.co_firstlineno,
                module=getattr(func, "__module__", None),
            )


__all__ = [
    "EARLY_CHANNELS",
    "EarlyConsumerWarning",
    "channel_warning",
    "check_decorated_consumer",
    "signature_warning",
]
