"""``Channel`` and ``Group``: sending from Django code, sync or async.

``Channel("a_task_channel").send({"value": 3})`` inside a consumer is held until the consumer
finishes (see :mod:`channels.message`); outside one, or with ``immediately=True``, it goes to
the layer at once. ``Group(name).add/discard`` always act at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from . import DEFAULT_CHANNEL_LAYER
from .asgi import channel_layers
from .early_consumers import check_decorated_consumer
from .pending import pending_message_store

#: Where ``send(..., delay=...)`` goes: the delay server's channel (see ``channels.delay``).
DELAY_CHANNEL = "asgi.delay"


class DeclaredRoute(NamedTuple):
    """A route declared where its consumer is defined, with ``@Channel.consumer``."""

    channels: tuple[str, ...]
    consumer: Any
    filters: dict[str, Any]


#: Routes declared with ``@Channel.consumer``, per layer alias, in declaration order. The
#: router of each alias reads them when it is built (see :mod:`channels.composition`).
declared_routes: dict[str, list[DeclaredRoute]] = {}


def _layer_for(alias: str, channel_layer: Any) -> Any:
    if channel_layer is not None:
        return channel_layer
    return channel_layers[alias]


def _name(value: Any, kind: str) -> str:
    if isinstance(value, bytes):
        return value.decode("ascii")
    if not isinstance(value, str):
        raise TypeError(f"{kind} name must be a str, got {type(value).__name__}: {value!r}")
    return value


def _check_content(content: Any, where: str, legacy: dict[str, Any]) -> dict[str, Any]:
    if legacy:
        # The earliest API took the content as keyword arguments: say how to write it now.
        raise TypeError(
            f"{where}.send() takes the message as one dict, not keyword arguments: write "
            f"{where}.send({legacy!r})"
        )
    if not isinstance(content, dict):
        raise TypeError(
            f"{where}.send() takes the message as one dict, got {type(content).__name__}: "
            f"{content!r}; e.g. {where}.send({{'text': 'hello'}})"
        )
    return content


class Channel:
    """A named channel to send to. ``str(channel)`` is its name.

    ``channel_layer`` (a layer or the wrapper from :data:`channels.asgi.channel_layers`) wins
    over ``alias``; otherwise the layer of ``alias`` (default ``"default"``) is used.
    """

    def __init__(
        self, name: str | bytes, alias: str = DEFAULT_CHANNEL_LAYER, channel_layer: Any = None
    ) -> None:
        self.name = _name(name, "channel")
        self.channel_layer = _layer_for(alias, channel_layer)

    def send(
        self,
        content: dict[str, Any] | None = None,
        immediately: bool = False,
        *,
        delay: float | None = None,
        **legacy: Any,
    ) -> None:
        """Send ``content``; held until the running consumer finishes unless ``immediately``.

        With ``delay`` (seconds, more than 0) the message goes to ``asgi.delay`` instead and
        ``manage.py rundelay`` (app ``channels.delay``) sends it here that much later.
        Sends at once may raise the layer's ``ChannelFull`` / ``MessageTooLarge``.
        """
        content = _check_content(content, f"Channel({self.name!r})", legacy)
        target: Channel = self
        if delay is not None:
            target, content = self._delayed(content, delay)
        if immediately or not pending_message_store.active:
            target.channel_layer.send(target.name, content)
        else:
            pending_message_store.append(target, content, channel=target.name)

    async def asend(
        self,
        content: dict[str, Any] | None = None,
        immediately: bool = False,
        *,
        delay: float | None = None,
        **legacy: Any,
    ) -> None:
        """Async :meth:`send`, with the same holding rule and ``delay``."""
        content = _check_content(content, f"Channel({self.name!r})", legacy)
        target: Channel = self
        if delay is not None:
            target, content = self._delayed(content, delay)
        if immediately or not pending_message_store.active:
            await target.channel_layer.asend(target.name, content)
        else:
            pending_message_store.append(target, content, channel=target.name)

    def _delayed(self, content: dict[str, Any], delay: Any) -> tuple[Channel, dict[str, Any]]:
        """The ``asgi.delay`` channel and the message asking it to send ``content`` here
        after ``delay`` seconds."""
        if (
            isinstance(delay, bool)
            or not isinstance(delay, int | float)
            or not 0 < delay < float("inf")
        ):
            raise ValueError(
                f"delay must be a positive, finite number of seconds, got {delay!r}; e.g. "
                f"Channel({self.name!r}).send(content, delay=2.5)"
            )
        from django.apps import apps
        from django.core.exceptions import ImproperlyConfigured

        if not apps.is_installed("channels.delay"):
            raise ImproperlyConfigured(
                f"Channel({self.name!r}).send(..., delay={delay!r}) needs the delay server: "
                "add 'channels.delay' to INSTALLED_APPS, run `manage.py migrate` and keep "
                "`manage.py rundelay` running"
            )
        envelope = {
            "channel": self.name,
            "delay": max(1, round(delay * 1000)),  # milliseconds on the wire
            "content": content,
        }
        return Channel(DELAY_CHANNEL, channel_layer=self.channel_layer), envelope

    @classmethod
    def consumer(
        cls, *channels: str, alias: str = DEFAULT_CHANNEL_LAYER, **filters: str
    ) -> Callable[[Any], Any]:
        """Decorator routing a consumer from where it is defined, the earliest API::

            @Channel.consumer("a_task_channel")
            def some_task(message):
                ...

        It is the same as adding ``route("a_task_channel", some_task, **filters)`` after the
        ``ROUTING`` of layer ``alias``. The consumer's module must be imported for the route to
        exist: put it in an app's ``consumers.py`` (imported by workers) or import it from your
        routing module.
        """
        if not channels:
            raise TypeError("Channel.consumer() needs at least one channel name")

        def decorator(func: Any) -> Any:
            check_decorated_consumer(channels, func)
            declared = DeclaredRoute(tuple(channels), func, dict(filters))
            declared_routes.setdefault(alias, []).append(declared)
            wrapper = channel_layers.loaded(alias)
            if wrapper is not None:
                wrapper.route_declared(declared)
            return func

        return decorator

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<Channel {self.name!r}>"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Channel):
            return self.name == other.name and self.channel_layer is other.channel_layer
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.name)


def _member_name(channel: Channel | str | bytes) -> str:
    return channel.name if isinstance(channel, Channel) else _name(channel, "channel")


class Group:
    """A named set of channels; ``send`` reaches every member. ``str(group)`` is its name."""

    def __init__(
        self, name: str | bytes, alias: str = DEFAULT_CHANNEL_LAYER, channel_layer: Any = None
    ) -> None:
        self.name = _name(name, "group")
        self.channel_layer = _layer_for(alias, channel_layer)

    def add(self, channel: Channel | str) -> None:
        """Add a channel (a ``Channel`` or its name) to the group, at once."""
        self.channel_layer.group_add(self.name, _member_name(channel))

    def discard(self, channel: Channel | str) -> None:
        """Remove a channel from the group, at once; no error if it was not a member."""
        self.channel_layer.group_discard(self.name, _member_name(channel))

    def send(
        self, content: dict[str, Any] | None = None, immediately: bool = False, **legacy: Any
    ) -> None:
        """Send ``content`` to every member; held like :meth:`Channel.send`."""
        content = _check_content(content, f"Group({self.name!r})", legacy)
        if immediately or not pending_message_store.active:
            self.channel_layer.send_group(self.name, content)
        else:
            pending_message_store.append(self, content)

    async def aadd(self, channel: Channel | str) -> None:
        """Async :meth:`add`."""
        await self.channel_layer.agroup_add(self.name, _member_name(channel))

    async def adiscard(self, channel: Channel | str) -> None:
        """Async :meth:`discard`."""
        await self.channel_layer.agroup_discard(self.name, _member_name(channel))

    async def asend(
        self, content: dict[str, Any] | None = None, immediately: bool = False, **legacy: Any
    ) -> None:
        """Async :meth:`send`."""
        content = _check_content(content, f"Group({self.name!r})", legacy)
        if immediately or not pending_message_store.active:
            await self.channel_layer.asend_group(self.name, content)
        else:
            pending_message_store.append(self, content)

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<Group {self.name!r}>"


__all__ = ["Channel", "Group"]
