"""CHANNEL_LAYERS → layers: the manager, the wrapper, backend aliases, errors, system checks."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks
from django.test.utils import override_settings

from channels import DEFAULT_CHANNEL_LAYER
from channels.asgi import ChannelLayerWrapper, channel_layers, get_channel_layer
from channels.exceptions import ChannelFull, InvalidChannelLayerError
from channels.layers import InMemoryChannelLayer
from tests.workers import INMEMORY, ROUTING


def layers(**aliases: Any) -> Any:
    return override_settings(CHANNEL_LAYERS=aliases)


def check_ids() -> list[str]:
    return [m.id for m in checks.run_checks(tags=["channels"])]


def test_channel_layers_builds_a_wrapper_once_per_alias() -> None:
    with layers(default={"BACKEND": INMEMORY, "ROUTING": ROUTING}):
        wrapper = channel_layers["default"]
        assert channel_layers["default"] is wrapper
        assert isinstance(wrapper, ChannelLayerWrapper)
        assert isinstance(wrapper.channel_layer, InMemoryChannelLayer)
        assert wrapper.alias == "default"
        assert wrapper.routing == ROUTING
        assert "async.sleep" in wrapper.router.channels
        assert "default" in channel_layers
        assert "other" not in channel_layers


def test_changing_the_setting_builds_new_layers() -> None:
    with layers(default={"BACKEND": INMEMORY}):
        first = channel_layers["default"]
    with layers(default={"BACKEND": INMEMORY}):
        assert channel_layers["default"] is not first


def test_seed_backend_names_are_aliases_of_ours() -> None:
    with layers(default={"BACKEND": "asgiref.inmemory.ChannelLayer", "ROUTING": []}):
        assert isinstance(channel_layers["default"].channel_layer, InMemoryChannelLayer)
    with layers(default={"BACKEND": "asgi_redis.RedisChannelLayer", "CONFIG": {"prefix": "t:"}}):
        wrapper = channel_layers["default"]
        assert type(wrapper.channel_layer).__module__ == "channels.layers.redis"
        wrapper.close()


def test_wrapper_forwards_to_the_layer() -> None:
    with layers(default={"BACKEND": INMEMORY, "CONFIG": {"capacity": 1}}):
        wrapper = channel_layers["default"]
        assert wrapper.ChannelFull is ChannelFull
        wrapper.send("a", {"n": 1})
        with pytest.raises(wrapper.ChannelFull):
            wrapper.send("a", {"n": 2})
        assert wrapper.receive(["a"]) == ("a", {"n": 1})
        assert str(wrapper) == "default (channels.layers.inmemory.InMemoryChannelLayer)"
        assert wrapper.local_only()


def test_routing_defaults_to_an_empty_list() -> None:
    with layers(default={"BACKEND": INMEMORY}):
        wrapper = channel_layers["default"]
        assert wrapper.routing == []
        # The project's consumers module is imported: its @Channel.consumer route is there.
        assert "a_task_channel" in wrapper.router.channels


def test_set_swaps_the_wrapper_and_returns_the_old_one() -> None:
    with layers(default={"BACKEND": INMEMORY}):
        old = channel_layers["default"]
        new = ChannelLayerWrapper(InMemoryChannelLayer(), "default", [])
        assert channel_layers.set("default", new) is old
        assert channel_layers["default"] is new


def test_make_test_backend_uses_test_config() -> None:
    config = {"BACKEND": INMEMORY, "CONFIG": {"capacity": 5}, "TEST_CONFIG": {"capacity": 7}}
    with layers(default=config):
        wrapper = channel_layers.make_test_backend("default")
        assert wrapper.channel_layer.capacities.of("x") == 7
    with (
        layers(default={"BACKEND": INMEMORY}),
        pytest.raises(InvalidChannelLayerError, match="TEST_CONFIG"),
    ):
        channel_layers.make_test_backend("default")


def test_get_channel_layer_returns_the_wrapper() -> None:
    with layers(default={"BACKEND": INMEMORY}):
        assert get_channel_layer() is channel_layers[DEFAULT_CHANNEL_LAYER]


def test_project_asgi_module_exposes_channel_layer() -> None:
    import importlib

    with layers(default={"BACKEND": INMEMORY}):
        module = importlib.import_module("tests.project.asgi")
        module = importlib.reload(module)
        assert module.channel_layer is channel_layers["default"]


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ({"ROUTING": []}, "CHANNEL_LAYERS['default'] has no 'BACKEND'; set it to e.g."),
        ({"BACKEND": "no.such.Layer"}, "cannot import CHANNEL_LAYERS['default']['BACKEND']"),
        ({"BACKEND": INMEMORY, "CONFIG": {"colour": "red"}}, "rejected CHANNEL_LAYERS['default']"),
        ({"BACKEND": INMEMORY, "CONFIG": ["x"]}, "must be a dict of InMemoryChannelLayer options"),
        ({"BACKEND": "channels.DEFAULT_CHANNEL_LAYER"}, "is not a class"),
    ],
)
def test_misconfiguration_is_a_clear_error_at_first_use(config: dict, words: str) -> None:
    with layers(default=config), pytest.raises(InvalidChannelLayerError) as raised:
        channel_layers["default"]
    assert words in str(raised.value)


def test_an_unknown_alias_names_the_configured_ones() -> None:
    with layers(default={"BACKEND": INMEMORY}), pytest.raises(InvalidChannelLayerError) as raised:
        channel_layers["other"]
    assert "no channel layer 'other' in CHANNEL_LAYERS (configured: ['default'])" in str(
        raised.value
    )


def test_system_checks_pass_on_a_good_configuration() -> None:
    with layers(default={"BACKEND": INMEMORY, "ROUTING": ROUTING}):
        assert check_ids() == []


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"ROUTING": []}, "channels.E001"),
        ({"BACKEND": "no.such.Layer"}, "channels.E002"),
        ({"BACKEND": INMEMORY, "CONFIG": {"colour": "red"}}, "channels.E003"),
        ({"BACKEND": INMEMORY, "ROUTING": "no.such.routing"}, "channels.E004"),
        ({"BACKEND": INMEMORY, "ROUTING": {"x": "no.such.consumer"}}, "channels.E005"),
        ({"BACKEND": INMEMORY, "ROUTNIG": []}, "channels.W001"),
    ],
)
def test_system_checks_report_each_mistake_with_its_id(config: dict, expected: str) -> None:
    with layers(default=config):
        assert check_ids() == [expected]


def test_system_check_for_a_setting_that_is_not_a_dict() -> None:
    with override_settings(CHANNEL_LAYERS=["default"]):
        assert check_ids() == ["channels.E001"]
