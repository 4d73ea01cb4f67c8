"""The Django app: ``INSTALLED_APPS = [..., "channels"]``."""

from __future__ import annotations

from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    """Registers channels' system checks, connects its signal receivers and installs the
    composition of layer, router and bridge (:mod:`channels.composition`)."""

    name = "channels"
    verbose_name = "Channels"

    def ready(self) -> None:
        # Imported for their side effects: check registration, signal receivers.
        from . import checks, composition, operations_checks, pending, signals  # noqa: F401

        composition.install()
        from .layer_provider import install_layer_provider

        install_layer_provider()
