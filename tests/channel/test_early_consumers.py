"""``@Channel.consumer`` warns about code written for the earliest releases: a channel name
nothing sends to any more, and the ``(path, send_channel, **kwargs)`` signature. It names
today's channel and signature, points at the consumer's definition, and still routes it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from channels import Channel
from channels.early_consumers import EarlyConsumerWarning
from channels.routing import decorated_routes


@pytest.fixture
def routed() -> Iterator[list[Callable[..., Any]]]:
    """Consumers a test decorates; their routes are removed afterwards."""
    consumers: list[Callable[..., Any]] = []
    yield consumers
    for alias, routes in decorated_routes.items():
        decorated_routes[alias] = [r for r in routes if r.consumer not in consumers]


def test_the_seeds_earliest_connect_consumer_gets_both_warnings(routed: list[Any]) -> None:
    with pytest.warns(EarlyConsumerWarning) as caught:

        @Channel.consumer("django.websockets.connect")
        def ws_connect(path: str, send_channel: str, **kwargs: Any) -> None:
            """As the earliest releases wrote it."""

        routed.append(ws_connect)
    messages = [str(warning.message) for warning in caught]
    assert len(messages) == 2, messages
    assert "nothing sends to 'django.websockets.connect'" in messages[0]
    assert "@Channel.consumer('websocket.connect')" in messages[0]
    assert "ws_connect(path, send_channel, **kwargs) has the earliest" in messages[1]
    assert "def ws_connect(message)" in messages[1]
    assert "message.reply_channel in place of send_channel" in messages[1]
    # Pointed at the consumer's own definition, here.
    assert {warning.filename for warning in caught} == {__file__}
    assert any(r.consumer is ws_connect for r in decorated_routes["default"])


def test_an_unknown_django_channel_lists_todays_channels(routed: list[Any]) -> None:
    with pytest.warns(EarlyConsumerWarning, match=r"websocket\.receive, websocket\.disconnect"):

        @Channel.consumer("django.wsrequest.frame")
        def frame(message: Any) -> None:
            """A made-up early channel."""

        routed.append(frame)


def test_a_keyword_style_task_consumer_is_warned_about(routed: list[Any]) -> None:
    with pytest.warns(EarlyConsumerWarning, match=r"some_task\(channel, value\)"):

        @Channel.consumer("a_task_channel_of_the_seeds")
        def some_task(channel, value):  # type: ignore[no-untyped-def]
            """The seed's task consumer: keys as arguments."""

        routed.append(some_task)


def test_todays_consumers_are_not_warned_about(routed: list[Any]) -> None:
    # filterwarnings = error in pyproject.toml: any warning here fails the test.
    @Channel.consumer("websocket.connect", path=r"^/room/(?P<room>\w+)/$")
    def ws_add(message: Any, room: str) -> None:
        """Today's signature, with a route keyword argument."""

    @Channel.consumer("my_tasks")
    def task(message: Any) -> None:
        """A channel of the project's own."""

    routed.extend([ws_add, task])
