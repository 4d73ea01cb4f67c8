"""The declared reaction policy (channels.reactions): what a consumer's exception means."""

from __future__ import annotations

import pytest

from channels.exceptions import ConsumeLater
from channels.layers import InMemoryChannelLayer
from channels.message import Message
from channels.reactions import RETRIES_KEY, Reactions, puts_back, retries_left


def test_retries_left_counts_down_from_message_retries() -> None:
    assert retries_left({}, 3) == 3
    assert retries_left({RETRIES_KEY: 2}, 3) == 1
    assert retries_left({RETRIES_KEY: 5}, 3) == 0


def test_puts_back_only_a_consume_later_with_tries_left() -> None:
    layer = InMemoryChannelLayer()
    message = Message({}, "jobs", layer)
    assert message.retries_left is None  # no worker counted: it has tries left
    assert puts_back(message, ConsumeLater())
    assert not puts_back(message, ValueError())
    assert not puts_back(message, None)
    message.retries_left = 0
    assert not puts_back(message, ConsumeLater())


def test_consume_later_puts_the_message_back_counting_tries() -> None:
    layer = InMemoryChannelLayer()
    reactions = Reactions(layer, message_retries=1)
    message = Message({"n": 1}, "jobs", layer)
    reactions.react(message, print, ConsumeLater())
    assert layer.receive(["jobs"]) == ("jobs", {"n": 1, RETRIES_KEY: 1})


def test_consume_later_past_the_limit_drops_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    layer = InMemoryChannelLayer()
    message = Message({RETRIES_KEY: 1}, "jobs", layer)
    Reactions(layer, message_retries=1).react(message, print, ConsumeLater())
    assert layer.receive(["jobs"]) == (None, None)
    assert "raised ConsumeLater 1 times" in caplog.text


def test_an_error_answers_http_500_and_closes_a_socket_with_1011() -> None:
    layer = InMemoryChannelLayer()
    reactions = Reactions(layer, message_retries=1)
    reactions.react(Message({"reply_channel": "r!1"}, "http.request", layer), print, KeyError())
    assert layer.receive(["r!"])[1]["status"] == 500
    reactions.react(
        Message({"reply_channel": "r!2"}, "websocket.receive", layer), print, KeyError()
    )
    assert layer.receive(["r!"]) == ("r!2", {"close": 1011})
