"""Binding classes are checked when they are defined, with errors that say what to fix."""

from __future__ import annotations

from typing import Any

import pytest

from channels.binding import Binding, BindingError
from channels.binding.base import BindingMetaclass
from channels.binding.websockets import WebsocketBinding
from tests.binding.testapp.bindings import NoteBinding, ThingBinding
from tests.binding.testapp.models import Thing


def test_the_test_app_bindings_are_registered_with_resolved_models() -> None:
    assert ThingBinding in BindingMetaclass.binding_classes
    assert ThingBinding.model is Thing
    assert ThingBinding.model_label == "binding_testapp.thing"
    assert ThingBinding.get_registered_models() == [Thing]
    assert NoteBinding.allowed_fields() == ["text", "written"]


def test_model_none_in_the_body_makes_an_abstract_binding() -> None:
    class Base(WebsocketBinding):
        model = None
        stream = "base"

    assert Base not in BindingMetaclass.binding_classes


def test_a_binding_without_a_model_is_an_error() -> None:
    with pytest.raises(BindingError, match=r"NoModel\.model is not set"):

        class NoModel(WebsocketBinding):
            stream = "s"
            fields = "__all__"


@pytest.mark.parametrize("model", ["Thing", "a.b.Thing", 42, object])
def test_a_bad_model_is_an_error(model: Any) -> None:
    with pytest.raises(BindingError, match=r"BadModel\.model = .* is not"):
        type(
            "BadModel",
            (WebsocketBinding,),
            {"model": model, "stream": "s", "fields": "__all__", "__module__": __name__},
        )


def test_fields_or_exclude_is_required() -> None:
    with pytest.raises(BindingError, match="sets neither fields nor exclude"):

        class Neither(WebsocketBinding):
            model = Thing
            stream = "s"


def test_fields_and_exclude_together_are_an_error() -> None:
    with pytest.raises(BindingError, match="sets both fields and exclude"):

        class Both(WebsocketBinding):
            model = Thing
            stream = "s"
            fields = ["name"]
            exclude = ["secret"]


def test_fields_must_be_a_list_of_names() -> None:
    with pytest.raises(BindingError, match=r"fields must be a list of field names"):

        class Text(WebsocketBinding):
            model = Thing
            stream = "s"
            fields = "name"


def test_unknown_field_names_are_an_error(binding_app: None) -> None:
    with pytest.raises(BindingError, match=r"names \['colour'\], which Thing does not have"):

        class Unknown(WebsocketBinding):
            model = "binding_testapp.Thing"
            stream = "s"
            fields = ["name", "colour"]


def test_a_websocket_binding_needs_a_stream() -> None:
    with pytest.raises(BindingError, match="stream must name the stream"):

        class NoStream(WebsocketBinding):
            model = Thing
            fields = "__all__"


def test_the_base_binding_leaves_the_protocol_to_subclasses() -> None:
    class Plain(Binding):
        model = None

    with pytest.raises(NotImplementedError, match="group_names"):
        Plain.group_names(Thing(name="x"))
