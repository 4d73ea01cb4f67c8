"""BaseConsumer: method_mapping, channel_names, as_route, dispatch under a real Worker."""

from __future__ import annotations

import pytest

from channels.generic import BaseConsumer, WebsocketConsumer
from channels.message import Message
from channels.routing import RouteClass
from tests.generic.conftest import next_message
from tests.generic.consumers import Sliding, Tasks


def test_channel_names_are_the_method_mapping_keys() -> None:
    assert Tasks.channel_names() == {"tasks.add", "tasks.echo"}
    assert BaseConsumer.channel_names() == set()
    assert WebsocketConsumer.channel_names() == {
        "websocket.connect",
        "websocket.receive",
        "websocket.disconnect",
    }


def test_as_route_routes_the_class_with_its_filters() -> None:
    entry = Tasks.as_route(path=r"^/v(?P<version>\d+)/")
    assert isinstance(entry, RouteClass)
    assert entry.consumer is Tasks
    assert entry.channel_names() == {"tasks.add", "tasks.echo"}
    assert set(entry.filters) == {"path"}


def test_as_route_with_attrs_makes_a_same_named_subclass() -> None:
    entry = Tasks.as_route({"channel_session": True})
    assert entry.consumer is not Tasks
    assert issubclass(entry.consumer, Tasks)
    assert entry.consumer.__name__ == "Tasks"
    assert entry.consumer.channel_session is True
    assert Tasks.channel_session is False


def test_as_route_refuses_attrs_that_are_not_a_dict() -> None:
    with pytest.raises(TypeError, match="dict of class attributes"):
        Tasks.as_route(["channel_session"])  # type: ignore[arg-type]


def test_the_worker_runs_the_mapped_method_with_the_route_kwargs(serve) -> None:
    routing = [Tasks.as_route(path=r"^/v(?P<version>\d+)/")]
    with serve(routing) as layer:
        notify = layer.new_channel("test.notify!")
        layer.send("tasks.add", {"a": 2, "b": 3, "notify": notify, "path": "/v2/"})
        layer.send("tasks.echo", {"value": "x", "notify": notify, "path": "/v7/"})
        first = next_message(layer, notify[: notify.index("!") + 1])
        second = next_message(layer, notify[: notify.index("!") + 1])
    assert {first["kwargs"]["version"], second["kwargs"]["version"]} == {"2", "7"}
    results = {**first, **second}
    assert (results["sum"], results["echo"]) == (5, "x")


def test_a_channel_missing_from_method_mapping_is_a_clear_error(serve) -> None:
    with serve([]) as layer:
        message = Message({"a": 1}, "tasks.unknown", layer)
        with pytest.raises(ValueError, match=r"no method for channel 'tasks.unknown'"):
            Tasks(message)


def test_a_mapping_to_a_missing_method_is_a_clear_error(serve) -> None:
    class Broken(BaseConsumer):
        method_mapping = {"x": "nope"}

    with serve([]) as layer, pytest.raises(AttributeError, match=r"maps 'x' to 'nope'"):
        Broken(Message({}, "x", layer))


def test_slight_ordering_is_refused_at_dispatch(serve) -> None:
    with serve([]) as layer, pytest.raises(ValueError, match="slight_ordering was removed"):
        Sliding(Message({"path": "/", "reply_channel": "r"}, "websocket.receive", layer))
