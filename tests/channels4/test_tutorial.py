"""Channels 4's chat tutorial, written as that tutorial has it (``examples/channels4_chat``),
run on this package with the Redis layer: its own browser tests under ``manage.py test``,
and two browsers chatting under its ``runserver`` (daphne's, which the tutorial installs)
and under ``daphne mysite.asgi:application``."""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.examples.browser import by_id, wait
from tests.examples.conftest import Pages
from tests.examples.processes import (
    BIN,
    DAPHNE_LISTENING,
    ROOT,
    ExampleProcess,
    example_env,
    migrate,
    run_command,
)
from tests.layers.redis_servers import free_port

EXAMPLE = "channels4_chat"

pytestmark = pytest.mark.redis


def tutorial_env(tmp_path: Path, example_redis: dict[str, str]) -> dict[str, str]:
    env = example_env(tmp_path, **example_redis)
    # The tutorial's tests start Chromium with the examples' test helper.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        return True
    return False


@contextlib.contextmanager
def serving(name: str, command: list[str], env: dict[str, str], port: int | None) -> Iterator[str]:
    """Run a server of the tutorial; yield its base URL once it accepts connections."""
    migrate(EXAMPLE, env)
    server = ExampleProcess(name, EXAMPLE, command, env)
    try:
        if port is None:
            match = server.wait_for(DAPHNE_LISTENING)
            port = int(match[2])
        else:
            # Daphne's runserver announces its address before it listens: try it on each
            # line of output (and at least every second) until it answers.
            server.wait_until(lambda _: listening(port) or None, 30, "the server to listen")
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.stop()
        server.cleanup()


def enter_room(driver, base_url: str, room: str, consumer: str) -> None:
    driver.get(f"{base_url}chat/{room}/?consumer={consumer}")
    wait(driver, lambda d: d.execute_script("return chatSocket.readyState") == 1, "the socket")


def post(driver, text: str) -> None:
    by_id(driver, "chat-message-input").send_keys(text)
    by_id(driver, "chat-message-submit").click()


def wait_for_line(driver, text: str) -> None:
    wait(
        driver,
        lambda d: text in by_id(d, "chat-log").get_property("value").splitlines(),
        f"{text!r} in the chat log",
    )


def two_browsers_chat(base_url: str, pages: Pages) -> None:
    sync_page = pages.open("sync", "about:blank")
    async_page = pages.open("async", "about:blank")
    enter_room(sync_page, base_url, "lobby", "chat")
    enter_room(async_page, base_url, "lobby", "achat")
    post(sync_page, "hello from the sync consumer")
    wait_for_line(async_page, "hello from the sync consumer")
    post(async_page, "hello from the async consumer")
    wait_for_line(sync_page, "hello from the async consumer")
    wait_for_line(async_page, "hello from the async consumer")
    wait_for_line(sync_page, "hello from the sync consumer")


def test_the_tutorials_own_browser_tests_pass(
    tmp_path: Path, example_redis: dict[str, str], browser_pool: list
) -> None:
    env = tutorial_env(tmp_path, example_redis)
    output = run_command(EXAMPLE, [sys.executable, "manage.py", "test", "chat"], env)
    assert "Ran 2 tests" in output and "OK" in output


def test_two_browsers_chat_under_the_tutorials_runserver(
    tmp_path: Path, example_redis: dict[str, str], pages: Pages
) -> None:
    env = tutorial_env(tmp_path, example_redis)
    port = free_port()
    command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"]
    with serving("tutorial runserver", command, env, port) as url, pages:
        two_browsers_chat(url, pages)


def test_two_browsers_chat_under_daphne(
    tmp_path: Path, example_redis: dict[str, str], pages: Pages
) -> None:
    env = tutorial_env(tmp_path, example_redis)
    command = [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", "0", "mysite.asgi:application"]
    with serving("tutorial daphne", command, env, None) as url, pages:
        two_browsers_chat(url, pages)
