"""The Django app of delayed messages: ``INSTALLED_APPS = [..., "channels.delay"]``."""

from __future__ import annotations

from django.apps import AppConfig


class DelayConfig(AppConfig):
    """``channels.delay``; its label is ``channels_delay`` (a label must be an identifier)."""

    name = "channels.delay"
    label = "channels_delay"
    verbose_name = "Channels delayed messages"
    default_auto_field = "django.db.models.BigAutoField"
