"""The binding test app; its ``ready`` imports the bindings, as a project's app would."""

from __future__ import annotations

from django.apps import AppConfig


class BindingTestAppConfig(AppConfig):
    name = "tests.binding.testapp"
    label = "binding_testapp"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        # Every process that saves these models must have the bindings connected.
        from . import bindings  # noqa: F401
