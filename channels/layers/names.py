"""Channel and group names: what is valid, and how process-specific names are split.

A channel name is ASCII letters, digits, ``-``, ``_`` and ``.``, optionally followed by one type
character and a local part:

* ``!`` marks a *process-specific* channel (``daphne.response.AbC!xYz``). Everything up to and
  including the ``!`` names the one process that reads it; a receive on that prefix (``...AbC!``)
  gets the messages of every channel that starts with it, each with its full name.
* ``?`` marks a *single-reader* channel (``http.request.body?AbC``), made by ``new_channel``.

Group names use the same characters without a type character.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from functools import lru_cache

#: Longest channel or group name accepted. The seeds promise "less than 200 characters";
#: the ASGI minimum a layer must accept is 100.
NAME_MAX_LENGTH = 199

_CHANNEL_RE = re.compile(r"[a-zA-Z0-9\-_.]+([!?][a-zA-Z0-9\-_.]*)?")
_GROUP_RE = re.compile(r"[a-zA-Z0-9\-_.]+")
_ALLOWED = "ASCII letters, digits, '-', '_' and '.'"


def _check_type(name: object, kind: str) -> str:
    if not isinstance(name, str):
        raise TypeError(f"{kind} names must be str, got {type(name).__name__}: {name!r}")
    return str(name)  # a plain str, also for subclasses (SafeString...)


def _check_length(name: str, kind: str) -> None:
    if len(name) > NAME_MAX_LENGTH:
        raise ValueError(
            f"{kind} name {name[:40]!r}... is {len(name)} characters long; "
            f"the limit is {NAME_MAX_LENGTH}"
        )


def check_channel_name(name: object) -> str:
    """Return ``name`` if it is a channel a message can be sent to, else raise.

    Raises ``TypeError`` for a non-str and ``ValueError`` for a str that is not a valid name.
    """
    return _valid_channel_name(_check_type(name, "channel"))


@lru_cache(maxsize=4096)  # names repeat on every send and receive: validate each once
def _valid_channel_name(name: str) -> str:
    _check_length(name, "channel")
    if not _CHANNEL_RE.fullmatch(name):
        raise ValueError(
            f"invalid channel name {name!r}: use {_ALLOWED}, plus at most one '!' "
            "(process-specific) or '?' (single-reader) followed by a local part"
        )
    if name[-1] in "!?":
        raise ValueError(
            f"cannot send to {name!r}: a name ending in {name[-1]!r} is a prefix, not a channel; "
            "make a channel with new_channel(prefix)"
        )
    return name


def check_receive_name(name: object) -> str:
    """Return ``name`` if a receive may listen on it, else raise.

    Normal and single-reader channels are received by their full name; process-specific
    channels only through their prefix (``prefix!``), which yields all of them.
    """
    return _valid_receive_name(_check_type(name, "channel"))


@lru_cache(maxsize=4096)
def _valid_receive_name(name: str) -> str:
    _check_length(name, "channel")
    if not _CHANNEL_RE.fullmatch(name):
        raise ValueError(f"invalid channel name {name!r}: use {_ALLOWED}, plus one '!' or '?'")
    bang = name.find("!")
    if bang != -1 and bang != len(name) - 1:
        raise ValueError(
            f"cannot receive on {name!r}: process-specific channels are received through their "
            f"prefix {name[: bang + 1]!r}, which returns every channel under it"
        )
    if name.endswith("?"):
        raise ValueError(f"cannot receive on {name!r}: a single-reader name needs its local part")
    return name


def check_receive_names(names: Iterable[str]) -> list[str]:
    """Validate the channel list of a receive call; it must be a non-empty list of names."""
    if isinstance(names, str):
        raise TypeError(f"receive() takes a list of channel names, got the str {names!r}")
    checked = [check_receive_name(name) for name in names]
    if not checked:
        raise ValueError("receive() needs at least one channel name")
    return checked


def check_group_name(name: object) -> str:
    """Return ``name`` if it is a valid group name, else raise ``TypeError``/``ValueError``."""
    name = _check_type(name, "group")
    _check_length(name, "group")
    if not _GROUP_RE.fullmatch(name):
        raise ValueError(f"invalid group name {name!r}: use only {_ALLOWED}")
    return name


def queue_name(channel: str) -> str:
    """The queue a channel's messages live in: the prefix through ``!``, or the name itself."""
    bang = channel.find("!")
    return channel if bang == -1 else channel[: bang + 1]


def is_process_specific(name: str) -> bool:
    """True for ``prefix!local`` channels and ``prefix!`` receive names."""
    return "!" in name


def make_channel_name(pattern: str) -> str:
    """Return ``pattern`` plus a random local part; ``pattern`` must end with ``!`` or ``?``."""
    if not isinstance(pattern, str):
        raise TypeError(f"new_channel() takes a str pattern, got {pattern!r}")
    if not pattern or pattern[-1] not in "!?" or not _CHANNEL_RE.fullmatch(pattern):
        raise ValueError(
            f"invalid new_channel() pattern {pattern!r}: it must be a valid name ending in '!' "
            "(process-specific, read by this process) or '?' (single-reader)"
        )
    # 16 characters from [A-Za-z0-9_-]: 96 random bits, all valid in a channel name.
    return check_channel_name(pattern + secrets.token_urlsafe(12))
