"""The chat example in a real browser: people in one room talk, another room hears nothing,
and each message is signed with the name of the sender's session. Once under ``runserver``
(in-memory layer), once under daphne + two ``runworker`` + Redis."""

from __future__ import annotations

from pathlib import Path

import pytest

from .browser import chat_messages, enter_chat, say, wait_for_message
from .conftest import Pages
from .processes import Site, example_env, redis_deployment, runserver


def two_rooms_conversation(site: Site, pages: Pages) -> None:
    alice = pages.open("alice", "about:blank")
    bob = pages.open("bob", "about:blank")
    carol = pages.open("carol", "about:blank")
    enter_chat(alice, site.url, "alice", "lobby")
    enter_chat(bob, site.url, "bob", "lobby")
    enter_chat(carol, site.url, "carol", "kitchen")

    # Carol talks first: if her room leaked into the lobby, her message would reach Alice's
    # and Bob's sockets before anything said later in the lobby (FIFO per channel).
    say(carol, "anyone in the kitchen?")
    wait_for_message(carol, "carol", "anyone in the kitchen?")

    say(alice, "hi bob")
    wait_for_message(bob, "alice", "hi bob")
    say(bob, "hello alice")
    wait_for_message(alice, "bob", "hello alice")
    wait_for_message(bob, "bob", "hello alice")
    wait_for_message(alice, "alice", "hi bob")

    # Likewise, anything of the lobby's sent to Carol would arrive before her second message.
    say(carol, "still quiet")
    wait_for_message(carol, "carol", "still quiet")

    conversation = [("alice", "hi bob"), ("bob", "hello alice")]
    assert chat_messages(alice) == conversation
    assert chat_messages(bob) == conversation
    assert chat_messages(carol) == [("carol", "anyone in the kitchen?"), ("carol", "still quiet")]


def test_chat_rooms_in_a_browser_under_runserver(tmp_path: Path, pages: Pages) -> None:
    with runserver("chat", example_env(tmp_path)) as site, pages:
        two_rooms_conversation(site, pages)


@pytest.mark.redis
def test_chat_rooms_in_a_browser_under_daphne_two_runworkers_and_redis(
    tmp_path: Path, pages: Pages, example_redis: dict[str, str]
) -> None:
    with redis_deployment("chat", example_env(tmp_path, **example_redis)) as site, pages:
        two_rooms_conversation(site, pages)
