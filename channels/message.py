"""``Message``: what a consumer receives.

The store that holds a consumer's sends until it finishes lives in :mod:`channels.pending`;
its names are importable from here too, as they always were.
"""

from __future__ import annotations

import copy
from typing import Any

from .channel import Channel
from .pending import PendingMessageStore, pending_message_store


class Message:
    """One message taken from a channel, as passed to a consumer.

    ``content`` is the message dict, ``channel`` the :class:`~channels.channel.Channel` it came
    from, ``reply_channel`` a ``Channel`` for ``content["reply_channel"]`` (``None`` when the
    message has none), ``channel_layer`` the layer it came through. A test may build one
    with no channel name and no layer, ``Message(content, None, None)``: ``channel.name`` is
    then ``None`` and the layer that of the ``default`` alias. Reads like a dict:
    ``message["path"]``, ``"text" in message``, ``message.get("bytes")``. Decorators add
    attributes (``channel_session``, ``http_session``, ``user``), declared below; they are
    absent until a decorator sets them.
    """

    #: The socket's channel session (set by ``channel_session`` and the decorators using it).
    channel_session: Any
    #: The HTTP session of the request or handshake (set by ``http_session``).
    http_session: Any
    #: The logged-in user, or an ``AnonymousUser`` (set by the ``channels.auth`` decorators).
    user: Any
    #: How many more times ``ConsumeLater`` may put this message back; None when no worker
    #: counted (see :mod:`channels.reactions`).
    retries_left: int | None = None

    def __init__(
        self, content: dict[str, Any], channel_name: str | None, channel_layer: Any
    ) -> None:
        self.content = content
        # Consumer tests build messages by hand, ``Message(content, None, None)`` as in 1.x:
        # no channel name, and the layer of the default alias.
        self.channel = Channel(channel_name or "", channel_layer=channel_layer)
        if channel_name is None:
            self.channel.name = None  # type: ignore[assignment]
        self.channel_layer = channel_layer or self.channel.channel_layer
        reply = content.get("reply_channel")
        self.reply_channel: Channel | None = (
            Channel(reply, channel_layer=channel_layer) if reply else None
        )

    def __getitem__(self, key: str) -> Any:
        return self.content[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.content[key] = value

    def __contains__(self, key: object) -> bool:
        return key in self.content

    def keys(self) -> Any:
        """The content's keys."""
        return self.content.keys()

    def values(self) -> Any:
        """The content's values."""
        return self.content.values()

    def items(self) -> Any:
        """The content's items."""
        return self.content.items()

    def get(self, key: str, default: Any = None) -> Any:
        """``content.get(key, default)``."""
        return self.content.get(key, default)

    def copy(self) -> Message:
        """A new Message on the same channel with a deep copy of the content."""
        return type(self)(copy.deepcopy(self.content), self.channel.name, self.channel_layer)

    def __repr__(self) -> str:
        return f"<Message on {self.channel.name!r}: {sorted(self.content)!r}>"


__all__ = ["Message", "PendingMessageStore", "pending_message_store"]
