"""What the commands that run a process of their own (``runworker``, ``rundelay``) share:
their logging, and a channel layer other processes can reach."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management import CommandError

from ..asgi import channel_layers
from ..exceptions import (
    ChannelLayerAuthenticationError,
    ChannelLayerUnavailable,
    InvalidChannelLayerError,
)
from ..log import shared_handler

logger = logging.getLogger("channels.worker")


def setup_logging(verbosity: int) -> None:
    """Log ``channels`` to stderr (DEBUG from ``-v 2``, nothing below WARNING at ``-v 0``),
    unless the project's LOGGING already handles it."""
    logger = logging.getLogger("channels")
    level = logging.WARNING if verbosity == 0 else logging.INFO
    if verbosity >= 2:
        level = logging.DEBUG
    logger.setLevel(level)
    if not logger.handlers:
        # The handler channels.log.setup_logger attaches too: calling both prints once.
        logger.addHandler(shared_handler())


def configured_layer(alias: str) -> Any:
    """The layer wrapper of ``alias``; a ``CommandError`` if it is not configured or cannot
    be built."""
    if alias not in channel_layers:
        raise CommandError(
            f"no channel layer {alias!r} in CHANNEL_LAYERS (configured: "
            f"{sorted(channel_layers.configs) or 'none'})"
        )
    try:
        layer = channel_layers[alias]
    except InvalidChannelLayerError as exc:
        raise CommandError(str(exc)) from exc
    return layer


def cross_process_layer(alias: str, why: str) -> Any:
    """:func:`configured_layer`, also a ``CommandError`` if the layer lives in this process's
    memory only (``why`` says what that breaks)."""
    layer = configured_layer(alias)
    if layer.local_only():
        raise CommandError(
            f"channel layer {layer} keeps its messages in this process's memory, so {why}. "
            "Configure a cross-process layer such as 'channels.layers.redis.RedisChannelLayer'"
        )
    return layer


def check_reachable(layer: Any, alias: str) -> None:
    """Reach the layer's store once at start: wrong credentials are a ``CommandError`` (the
    process exits non-zero, since waiting cannot mend them); an unreachable store is logged
    and waited out, as the layer rides out any outage."""
    try:
        layer.channel_layer.check()
    except ChannelLayerAuthenticationError as exc:
        raise CommandError(f"CHANNEL_LAYERS[{alias!r}]: {exc}") from exc
    except ChannelLayerUnavailable as exc:
        logger.warning("%s; starting anyway and waiting for it", exc)
