"""System checks for projects with both ``daphne`` and ``channels`` installed."""

from __future__ import annotations

from django.test import override_settings

from channels.checks import check_app_order

APPS = ["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.staticfiles"]
ROUTED = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "ROUTING": []}}


def ids(**settings: object) -> list[str]:
    with override_settings(**settings):
        return [message.id for message in check_app_order()]


def test_daphne_first_is_fine_for_a_channels_4_project() -> None:
    layers = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    assert ids(INSTALLED_APPS=["daphne", *APPS, "channels"], CHANNEL_LAYERS=layers) == []


def test_daphne_first_with_1x_routes_warns_that_runserver_runs_no_workers() -> None:
    routed = {"default": {**ROUTED["default"], "ROUTING": "tests.project.routing.channel_routing"}}
    assert ids(INSTALLED_APPS=["daphne", *APPS, "channels"], CHANNEL_LAYERS=routed) == [
        "channels.W003"
    ]


def test_channels_before_daphne_is_fine() -> None:
    routed = {"default": {**ROUTED["default"], "ROUTING": "tests.project.routing.channel_routing"}}
    assert ids(INSTALLED_APPS=["channels", "daphne", *APPS], CHANNEL_LAYERS=routed) == []
