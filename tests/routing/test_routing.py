"""Routing: route, route_class, include, dict routing, Router and its defaults."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from channels.layers import InMemoryChannelLayer
from channels.message import Message
from channels.routing import (
    ConsumerImportError,
    Router,
    RoutingImportError,
    include,
    is_async_consumer,
    route,
    route_class,
)


def consumer_a(message: Any, **kwargs: Any) -> None:
    """A consumer."""


def consumer_b(message: Any, **kwargs: Any) -> None:
    """Another consumer."""


async def async_consumer(message: Any, **kwargs: Any) -> None:
    """An async consumer."""


class ClassConsumer:
    @classmethod
    def channel_names(cls) -> set[str]:
        return {"websocket.connect", "websocket.receive"}

    def __init__(self, message: Any, **kwargs: Any) -> None:
        self.message = message


class AsyncClassConsumer(ClassConsumer):
    async def dispatch(self) -> None:
        """Awaited by the worker."""


class AsyncInstance:
    async def __call__(self, message: Any) -> None:
        """Called per message."""


layer = InMemoryChannelLayer()


def msg(channel: str, **content: Any) -> Message:
    return Message(content, channel, layer)


def test_route_matches_its_channel_only() -> None:
    entry = route("http.request", consumer_a)
    assert entry.match(msg("http.request", path="/")) == (consumer_a, {})
    assert entry.match(msg("websocket.connect", path="/")) is None
    assert entry.channel_names() == {"http.request"}


def test_route_filters_pass_named_groups_as_kwargs() -> None:
    entry = route("websocket.connect", consumer_a, path=r"^/chat/(?P<room>[^/]+)/$")
    assert entry.match(msg("websocket.connect", path="/chat/lobby/")) == (
        consumer_a,
        {"room": "lobby"},
    )
    assert entry.match(msg("websocket.connect", path="/other/")) is None
    assert entry.match(msg("websocket.connect")) is None  # no path key at all


def test_filters_match_at_the_start_and_all_must_match() -> None:
    entry = route("http.request", consumer_a, path=r"/a", method=r"^POST$")
    assert entry.match(msg("http.request", path="/a/b", method="POST")) is not None
    assert entry.match(msg("http.request", path="/x/a", method="POST")) is None
    assert entry.match(msg("http.request", path="/a", method="GET")) is None


def test_filters_read_bytes_values_and_take_bytes_patterns() -> None:
    entry = route(b"http.request", consumer_a, query_string=b"^a=(?P<a>\\d+)")
    assert entry.match(msg("http.request", query_string=b"a=12")) == (consumer_a, {"a": "12"})


def test_unnamed_groups_are_rejected_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"unnamed group; name it \(\?P<name>"):
        route("http.request", consumer_a, path=r"^/chat/([^/]+)/$")


def test_a_bad_regex_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="is not a regex"):
        route("http.request", consumer_a, path=r"^/chat/(")


def test_consumers_may_be_dotted_paths() -> None:
    entry = route("x", "tests.routing.test_routing.consumer_b")
    assert entry.match(msg("x")) == (consumer_b, {})


def test_a_consumer_path_that_does_not_import_is_a_clear_error() -> None:
    with pytest.raises(ConsumerImportError, match=r"'no\.such\.consumer'"):
        route("x", "no.such.consumer")
    assert issubclass(ConsumerImportError, ImproperlyConfigured)


def test_route_class_takes_channels_from_the_class() -> None:
    entry = route_class(ClassConsumer, path=r"^/ws/")
    assert entry.channel_names() == {"websocket.connect", "websocket.receive"}
    assert entry.match(msg("websocket.receive", path="/ws/")) == (ClassConsumer, {})
    with pytest.raises(ValueError, match="channel_names"):
        route_class(consumer_a)


def test_include_strips_the_matched_prefix_and_merges_kwargs() -> None:
    inner = [route("websocket.connect", consumer_a, path=r"^/room/(?P<room>\w+)/$")]
    entry = include(inner, path=r"^/v(?P<version>\d+)")
    message = msg("websocket.connect", path="/v2/room/lobby/")
    assert entry.match(message) == (consumer_a, {"version": "2", "room": "lobby"})
    assert message["path"] == "/v2/room/lobby/"  # the consumer gets the original
    assert entry.match(msg("websocket.connect", path="/room/lobby/")) is None


def test_inner_kwargs_win_over_the_includes() -> None:
    inner = [route("x", consumer_a, path=r"^/(?P<id>\w+)")]
    entry = include(inner, path=r"^/(?P<id>\d+)")
    assert entry.match(msg("x", path="/1/abc")) == (consumer_a, {"id": "abc"})


def test_include_takes_a_dotted_path() -> None:
    entry = include("tests.project.routing.channel_routing")
    assert "async.sleep" in entry.channel_names()
    with pytest.raises(RoutingImportError, match=r"cannot import routing 'no\.such\.routing'"):
        include("no.such.routing")


def test_dict_routing_maps_channels_to_consumers() -> None:
    router = Router({"a": "tests.routing.test_routing.consumer_a", "b": consumer_b})
    assert router.channels == {"a", "b"}
    assert router.match(msg("b")) == (consumer_b, {})


def test_a_routing_of_the_wrong_type_is_a_clear_error() -> None:
    with pytest.raises(RoutingImportError, match="a list of routes"):
        Router(42)
    with pytest.raises(RoutingImportError, match="is not a route"):
        Router(["http.request"])


def test_first_matching_entry_wins() -> None:
    router = Router([route("x", consumer_a, path="^/a"), route("x", consumer_b)])
    assert router.match(msg("x", path="/a"))[0] is consumer_a
    assert router.match(msg("x", path="/b"))[0] is consumer_b


def test_default_routes_come_after_the_users() -> None:
    router = Router([route("websocket.connect", consumer_a, path=r"^/chat/")])
    assert router.match(msg("http.request", path="/")) is None
    router.check_default()
    assert router.channels >= {
        "http.request",
        "websocket.connect",
        "websocket.receive",
        "websocket.disconnect",
    }
    assert router.match(msg("websocket.connect", path="/chat/"))[0] is consumer_a
    # A socket to a path no route matches is refused, as an unmatched URL gets 404.
    assert router.match(msg("websocket.connect", path="/else/"))[0].__name__ == ("_default_connect")
    assert router.match(msg("http.disconnect", path="/"))[0].__name__ == "null_consumer"
    assert router.match(msg("http.request", path="/"))[0].__name__ == "view_consumer"
    router.add_route(route("http.request", consumer_b))
    assert router.match(msg("http.request", path="/"))[0] is consumer_b


def test_a_routing_without_socket_routes_accepts_every_socket() -> None:
    router = Router([route("http.request", consumer_a)])
    router.check_default()
    reply = layer.new_channel("routing.test!")
    connect = msg("websocket.connect", path="/any/", reply_channel=reply)
    consumer, kwargs = router.match(connect)
    consumer(connect, **kwargs)
    assert layer.receive(["routing.test!"]) == (reply, {"accept": True})


def test_check_default_takes_an_http_consumer() -> None:
    router = Router([])
    router.check_default(http_consumer=consumer_b)
    assert router.match(msg("http.request", path="/"))[0] is consumer_b


def test_async_consumers_are_recognised() -> None:
    assert is_async_consumer(async_consumer)
    assert is_async_consumer(AsyncInstance())
    assert is_async_consumer(AsyncClassConsumer)
    assert not is_async_consumer(consumer_a)
    assert not is_async_consumer(ClassConsumer)
    assert not is_async_consumer(AsyncInstance)


@pytest.mark.parametrize(
    "path, answer",
    [
        ("/chat/", None),  # its own connect route runs
        ("/echo/", {"accept": True}),  # only a receive route: the default accepts
        ("/else/", {"close": True}),  # no socket route matches: refused
    ],
)
def test_the_default_connect_refuses_only_paths_no_socket_route_matches(
    path: str, answer: dict[str, Any] | None
) -> None:
    router = Router(
        [
            route("websocket.connect", consumer_a, path=r"^/chat/"),
            route("websocket.receive", consumer_b, path=r"^/echo/"),
        ]
    )
    router.check_default()
    reply = layer.new_channel("routing.test!")
    consumer, kwargs = router.match(msg("websocket.connect", path=path, reply_channel=reply))
    if answer is None:
        assert consumer is consumer_a
        return
    consumer(msg("websocket.connect", path=path, reply_channel=reply), **kwargs)
    assert layer.receive(["routing.test!"]) == (reply, answer)
