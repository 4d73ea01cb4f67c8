"""``channels.utils.name_that_thing``: the 1.x names for functions, classes and instances."""

from __future__ import annotations

import functools
from unittest import mock

from channels.utils import name_that_thing
from channels.worker import describe


def a_function() -> None:
    pass


class AClass:
    def method(self) -> None:
        pass


def test_functions_and_classes_are_named_module_dot_name() -> None:
    assert name_that_thing(a_function) == "tests.test_utils.a_function"
    assert name_that_thing(AClass) == "tests.test_utils.AClass"
    assert name_that_thing(AClass().method) == "tests.test_utils.AClass.method"
    assert name_that_thing(len) == "builtins.len"


def test_an_instance_is_named_after_its_class() -> None:
    assert name_that_thing(AClass()) == "tests.test_utils.AClass"
    assert name_that_thing(functools.partial(a_function)) == "functools.partial"
    assert name_that_thing("text") == "builtins.str"


def test_mocks_are_named_mock() -> None:
    for fake in (mock.Mock(), mock.MagicMock(), mock.AsyncMock(), mock.NonCallableMock()):
        assert name_that_thing(fake) == "<mock>"


def test_a_thing_without_a_usable_class_name_is_its_repr() -> None:
    class Odd:
        pass

    Odd.__module__ = None  # type: ignore[assignment]
    thing = Odd()
    assert name_that_thing(thing) == repr(thing)


def test_the_worker_logs_consumers_under_the_same_names() -> None:
    assert describe(a_function) == name_that_thing(a_function)
    assert describe(AClass()) == "tests.test_utils.AClass"
