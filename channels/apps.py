"""The Django app: ``INSTALLED_APPS = [..., "channels"]``."""

from __future__ import annotations

from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    """Registers channels' system checks and connects its signal receivers."""

    name = "channels"
    verbose_name = "Channels"

    def ready(self) -> None:
        # Imported for their side effects: check registration, signal receivers.
        from . import checks, message, signals  # noqa: F401
        from .layer_provider import install_layer_provider

        install_layer_provider()
