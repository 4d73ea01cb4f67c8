"""Membership notes: how an interface server hears which groups its sockets are in.

The interface server holds the sockets, so it is the authority on their state: it discards
a closing socket's memberships itself (whatever its consumers forget or a lost disconnect
leaves behind), and puts them back when the layer's store has lost them (a Redis restart).
For that it must know them, and only consumers know them: so every ``group_add`` and
``group_discard`` of a process-specific channel (``prefix!local``) also sends a small note
to its process, on ``prefix!`` + :data:`NOTE_CHANNEL`::

    {"op": "add" | "discard", "group": group, "channel": channel}

A note costs one send per membership change, never anything per broadcast. Only a process
that said it owns a prefix (:meth:`BaseChannelLayer.own_memberships`) receives them; every
other reader of the prefix (a test playing interface server, a tool) never sees one, since
the layer drops them before its receive returns. No random channel name can collide with the
note channel: ``new_channel`` never puts a ``.`` in the random part.
"""

from __future__ import annotations

from typing import Any

from .names import queue_name

#: The local part of the channel a process's membership notes arrive on.
NOTE_CHANNEL = "channels.membership"
ADD, DISCARD = "add", "discard"


def note_for(op: str, group: str, channel: str) -> tuple[str, dict[str, Any]] | None:
    """``(note channel, note)`` for a change to ``channel``'s membership of ``group``; None
    when ``channel`` has no owning process (it is not process-specific)."""
    prefix = queue_name(channel)
    if prefix == channel or not prefix.endswith("!") or channel == prefix + NOTE_CHANNEL:
        return None
    return prefix + NOTE_CHANNEL, {"op": op, "group": group, "channel": channel}


def is_note(channel: str) -> bool:
    """Whether messages on ``channel`` are membership notes."""
    return channel.endswith("!" + NOTE_CHANNEL)


__all__ = ["ADD", "DISCARD", "NOTE_CHANNEL", "is_note", "note_for"]
