"""The chat example in a real browser: people in one room talk, another room hears nothing,
and each message is signed with the name of the sender's session. Once under ``runserver``
(in-memory layer), once under daphne + two ``runworker`` + Redis."""

from __future__ import annotations

from pathlib import Path

import pytest

from .browser import two_rooms_conversation
from .conftest import Pages
from .processes import example_env, redis_deployment, runserver


def test_chat_rooms_in_a_browser_under_runserver(tmp_path: Path, pages: Pages) -> None:
    with runserver("chat", example_env(tmp_path)) as site, pages:
        two_rooms_conversation(site, pages)


@pytest.mark.redis
def test_chat_rooms_in_a_browser_under_daphne_two_runworkers_and_redis(
    tmp_path: Path, pages: Pages, example_redis: dict[str, str]
) -> None:
    with redis_deployment("chat", example_env(tmp_path, **example_redis)) as site, pages:
        two_rooms_conversation(site, pages)
