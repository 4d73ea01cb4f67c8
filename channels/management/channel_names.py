"""``runworker channel_name ...``: the Channels 4 form of the command."""

from __future__ import annotations

import asyncio
from typing import Any

from django.core.management import CommandError

from ..channel_worker import ChannelWorker
from ..layer_provider import provide
from ..scope_routing import get_default_application


def run_channel_worker(wrapper: Any, channels: list[str], verbosity: int, stderr: Any) -> None:
    """Run ``ASGI_APPLICATION`` for ``channels`` on the layer of ``wrapper`` until SIGINT or
    SIGTERM; configuration mistakes are a ``CommandError``."""
    try:
        application = get_default_application()
    except Exception as exc:
        raise CommandError(f"runworker {' '.join(channels)}: {exc}") from exc
    layer = provide(wrapper.alias)
    if layer is None:  # pragma: no cover - cross_process_layer checked the alias
        raise CommandError(f"no channel layer {wrapper.alias!r} in CHANNEL_LAYERS")
    try:
        worker = ChannelWorker(application, channels, layer)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    if verbosity >= 1:
        stderr.write(f"Running worker for channels {channels!r} against channel layer {wrapper}")
    asyncio.run(worker.run())
