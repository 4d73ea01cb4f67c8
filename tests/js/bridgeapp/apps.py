"""The bridge test app; its ``ready`` connects the binding, as a project's app would."""

from __future__ import annotations

from django.apps import AppConfig


class BridgeAppConfig(AppConfig):
    name = "tests.js.bridgeapp"
    label = "bridgeapp"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from . import bindings  # noqa: F401
