"""System checks for the operations settings (``docs/operations.rst``).

=================== ==================================================================
``channels.E006``   ``CHANNELS_HEARTBEAT_INTERVAL`` is not a positive number (or None)
``channels.E007``   ``CHANNELS_METRICS_ADDRESS`` is not ``HOST:PORT``, or
                    prometheus-client is not installed
=================== ==================================================================
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from .metrics import metrics, parse_address


def operations_setting_problems() -> list[tuple[str, str]]:
    """``(check id, message)`` for each unusable operations setting."""
    found = []
    interval = getattr(settings, "CHANNELS_HEARTBEAT_INTERVAL", 1.0)
    if interval is not None and (
        not isinstance(interval, int | float) or isinstance(interval, bool) or interval <= 0
    ):
        found.append(
            (
                "channels.E006",
                "CHANNELS_HEARTBEAT_INTERVAL must be a positive number of seconds (or None "
                f"for no heartbeats), got {interval!r}",
            )
        )
    address = getattr(settings, "CHANNELS_METRICS_ADDRESS", None)
    if address is not None:
        try:
            parse_address(address)
            metrics()
        except (ValueError, ImportError) as exc:
            found.append(("channels.E007", f"CHANNELS_METRICS_ADDRESS: {exc}"))
    return found


@checks.register("channels")
def check_operations_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Heartbeat interval and metrics address are usable."""
    return [checks.Error(message, id=ident) for ident, message in operations_setting_problems()]
