"""``channels_redis`` settings, served by this project's Redis layer.

A Channels 4 project configures ``"BACKEND": "channels_redis.core.RedisChannelLayer"`` (or
``channels_redis.pubsub.RedisPubSubChannelLayer``) with ``channels_redis``'s ``CONFIG``.
Those paths are aliases of :class:`ChannelsRedisLayer` and :class:`ChannelsRedisPubSubLayer`,
which take that ``CONFIG`` and hand :func:`translate_channels_redis_options`'s result to
:class:`~channels.layers.redis.RedisChannelLayer`. No ``channels_redis`` package is needed.

``hosts`` entries may be URLs, ``(host, port)`` pairs, dicts of redis-py connection options
(``{"host": ..., "port": ..., "password": ...}``), dicts with an ``"address"`` (a URL or a
pair) plus connection options, or Sentinel dicts (``{"sentinels": [...], "master_name":
...}``). ``prefix``, ``expiry``, ``group_expiry``, ``capacity``, ``channel_capacity`` and
``symmetric_encryption_keys`` mean what they mean there. The pub/sub layer's ``on_disconnect``
and ``on_reconnect`` name message types that every consumer of the process gets when the
layer's receives lose Redis and when they reach it again (see :mod:`~channels.layers.demux`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .redis import RedisChannelLayer

#: Options whose meaning is the same here: passed on as they are.
SAME_OPTIONS = frozenset(
    {"expiry", "group_expiry", "capacity", "channel_capacity", "symmetric_encryption_keys"}
)
#: The pub/sub layer's outage notices: the message types consumers get.
NOTICE_OPTIONS = ("on_disconnect", "on_reconnect")
#: What the pub/sub layer documents (it has no capacities or expiry of its own).
PUBSUB_OPTIONS = frozenset(
    {"hosts", "prefix", "symmetric_encryption_keys", "serializer_format"} | {*NOTICE_OPTIONS}
)
CORE_OPTIONS = SAME_OPTIONS | {"hosts", "prefix", "serializer_format"}

_SENTINEL_KEYS = ("sentinels", "master_name", "sentinel_kwargs")


def _host_entry(host: Any, index: int) -> tuple[Any, dict[str, Any], dict[str, Any] | None]:
    """(host for our layer, shared connection options, sentinel part or None)."""
    if isinstance(host, str):
        return host, {}, None
    if isinstance(host, Mapping):
        options = dict(host)
        if "master_name" in options or "sentinels" in options:
            sentinel = {key: options.pop(key, None) for key in _SENTINEL_KEYS}
            if not sentinel["sentinels"] or not sentinel["master_name"]:
                raise ValueError(
                    f"hosts[{index}] = {host!r}: a Sentinel entry needs both 'sentinels' "
                    "(a list of (host, port)) and 'master_name'"
                )
            return None, options, sentinel
        if "address" in options:
            address = options.pop("address")
            if isinstance(address, str):
                return address, options, None
            if isinstance(address, Sequence) and len(address) == 2:
                return (address[0], int(address[1])), options, None
            raise ValueError(
                f"hosts[{index}]['address'] = {address!r}: give a redis:// URL or a (host, "
                "port) pair"
            )
        return options, {}, None
    if isinstance(host, Sequence) and len(host) == 2:
        return (host[0], int(host[1])), {}, None
    raise ValueError(
        f"hosts[{index}] = {host!r}: give a redis:// URL, a (host, port) pair or a dict of "
        "connection options"
    )


def _translate_hosts(hosts: Any) -> dict[str, Any]:
    if hosts is None:
        return {}
    if isinstance(hosts, str | Mapping):
        hosts = [hosts]
    entries = [_host_entry(host, index) for index, host in enumerate(hosts)]
    shared = [options for _, options, _ in entries]
    # Our layer applies connection options to every shard alike.
    if any(options != shared[0] for options in shared):
        raise ValueError(
            f"hosts {hosts!r} give different connection options per host; this layer applies "
            "one set to every host: give every entry the same options"
        )
    result: dict[str, Any] = {"connection_kwargs": shared[0]} if shared and shared[0] else {}
    sentinels = [sentinel for _, _, sentinel in entries if sentinel is not None]
    if not sentinels:
        result["hosts"] = [host for host, _, _ in entries]
        return result
    if len(sentinels) != len(entries) or any(
        s["sentinels"] != sentinels[0]["sentinels"] for s in sentinels
    ):
        raise ValueError(
            f"hosts {hosts!r} mix Sentinel and plain entries, or name different Sentinel "
            "servers; every entry must use the same 'sentinels' list"
        )
    result["sentinels"] = [tuple(pair) for pair in sentinels[0]["sentinels"]]
    result["services"] = [s["master_name"] for s in sentinels]
    if sentinels[0]["sentinel_kwargs"]:
        result["sentinel_kwargs"] = dict(sentinels[0]["sentinel_kwargs"])
    return result


def translate_channels_redis_options(
    options: Mapping[str, Any], *, pubsub: bool = False
) -> dict[str, Any]:
    """The :class:`~channels.layers.redis.RedisChannelLayer` keyword arguments for a
    ``channels_redis`` ``CONFIG`` (of the pub/sub layer with ``pubsub``); unknown options
    are a ``TypeError`` naming them."""
    backend = "RedisPubSubChannelLayer" if pubsub else "RedisChannelLayer"
    known = PUBSUB_OPTIONS if pubsub else CORE_OPTIONS
    unknown = sorted(set(options) - known)
    if not pubsub and set(unknown) & set(NOTICE_OPTIONS):
        raise TypeError(
            f"channels_redis option(s) {sorted(set(unknown) & set(NOTICE_OPTIONS))!r} belong "
            "to channels_redis.pubsub.RedisPubSubChannelLayer: use that BACKEND, or remove them"
        )
    if unknown:
        raise TypeError(
            f"channels_redis {backend} option(s) {unknown!r} are not supported here; the "
            f"supported ones are {sorted(known)!r}"
        )
    serializer = options.get("serializer_format", "msgpack")
    if serializer != "msgpack":
        raise ValueError(
            f"serializer_format={serializer!r}: this layer always encodes with msgpack; "
            "remove the option"
        )
    for key in NOTICE_OPTIONS:
        value = options.get(key)
        if value is not None and (not isinstance(value, str) or not value):
            raise TypeError(
                f"{key}={value!r}: give the message type consumers get (a str such as "
                f"'redis.{key[3:]}', handled by a redis_{key[3:]} method), or None"
            )
    result = {key: value for key, value in options.items() if key in SAME_OPTIONS}
    result.update(_translate_hosts(options.get("hosts")))
    if "prefix" in options:
        prefix = options["prefix"]
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be a str, got {prefix!r}")
        # channels_redis puts no separator after its prefix ("asgi"); ours ends in ":".
        result["prefix"] = prefix if prefix.endswith(":") else prefix + ":"
    return result


class ChannelsRedisLayer(RedisChannelLayer):
    """This project's Redis layer, configured with ``channels_redis.core``'s options."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**translate_channels_redis_options(options))


class ChannelsRedisPubSubLayer(RedisChannelLayer):
    """This project's Redis layer, configured with ``channels_redis.pubsub``'s options.

    Messages are stored until received or expired rather than published: a consumer that
    is briefly away gets what was sent meanwhile, which pub/sub would have dropped.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**translate_channels_redis_options(options, pubsub=True))
        self.on_disconnect = options.get("on_disconnect")
        self.on_reconnect = options.get("on_reconnect")


__all__ = ["ChannelsRedisLayer", "ChannelsRedisPubSubLayer", "translate_channels_redis_options"]
