"""``docs/getting-started.rst`` runs as written.

Each test makes the page's project (``django-admin startproject myproject``, ``python
manage.py startapp myapp``) in a temporary folder, writes exactly the files the page shows up
to one of its sections (read out of the ``.rst``, see ``docs_project.py``), and checks what
the page promises under ``runserver``: the HTTP consumer's answer, the echo, and the chat
room, both with a WebSocket client and by running the page's own JavaScript in two headless
Chromiums (its ``alert()`` is what the reader sees).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

from tests.processes import manage, run

from . import docs_project
from .browser import wait
from .clients import TIMEOUT
from .conftest import Pages
from .processes import Site, example_env, runserver

PAGE = "getting-started.rst"
STEP_HTTP = "A first consumer: HTTP"
STEP_ECHO = "WebSockets: an echo"


def start_project(tmp_path: Path, last_section: str | None = None) -> tuple[Path, dict[str, str]]:
    """The page's project as it stands after ``last_section`` (the whole page if None)."""
    commands = docs_project.console_commands(PAGE)
    said = ("django-admin startproject myproject", "python manage.py startapp myapp")
    for command in said:
        assert command in commands, f"the getting-started page no longer says `{command}`"
    manage(example_env(tmp_path), "startproject", "myproject", cwd=tmp_path)  # django-admin
    folder = tmp_path / "myproject"
    env = example_env(folder)  # startproject's settings keep db.sqlite3 beside manage.py
    run([sys.executable, "manage.py", "startapp", "myapp"], env=env, cwd=folder)
    docs_project.write_blocks(folder, docs_project.blocks_until(PAGE, last_section))
    return folder, env


def page_javascript() -> str:
    scripts = [
        block.code for _, block in docs_project.code_blocks(PAGE) if block.language == "javascript"
    ]
    assert len(scripts) == 1, f"expected the one console snippet, found {len(scripts)}"
    return scripts[0]


def socket(site: Site, path: str) -> Any:
    return connect(site.ws_url.rstrip("/") + path, open_timeout=TIMEOUT, close_timeout=TIMEOUT)


def next_alert(driver: Any) -> str:
    """The text of the page's next ``alert()``, which is then dismissed."""
    from selenium.webdriver.support import expected_conditions

    alert = wait(driver, expected_conditions.alert_is_present(), "an alert")
    text: str = alert.text
    alert.accept()
    return text


def test_the_http_consumer_answers_every_request(tmp_path: Path) -> None:
    folder, env = start_project(tmp_path, STEP_HTTP)
    with runserver(str(folder), env) as site:
        answer = httpx.get(site.url + "some/path/", timeout=TIMEOUT)
        assert answer.status_code == 200
        assert answer.text == "Hello world! You asked for /some/path/"


def test_the_echo_sends_each_frame_back(tmp_path: Path, pages: Pages) -> None:
    folder, env = start_project(tmp_path, STEP_ECHO)
    with runserver(str(folder), env) as site, pages:
        # HTTP goes to Django's views again: the welcome page of a new project.
        assert httpx.get(site.url, timeout=TIMEOUT).status_code == 200
        with socket(site, "/chat/") as ws:
            ws.send("hello world")
            assert ws.recv(timeout=TIMEOUT) == "hello world"
        browser = pages.open("console", site.url)
        browser.execute_script(page_javascript())
        assert next_alert(browser) == "hello world"


def test_the_chat_reaches_every_socket_in_the_group(tmp_path: Path, pages: Pages) -> None:
    folder, env = start_project(tmp_path)
    with runserver(str(folder), env) as site, pages:
        with socket(site, "/chat/") as first, socket(site, "/chat/") as second:
            first.send("hi")
            assert first.recv(timeout=TIMEOUT) == "[user] hi"
            assert second.recv(timeout=TIMEOUT) == "[user] hi"

        # The page's own snippet, pasted into two tabs' consoles.
        one = pages.open("one", site.url)
        two = pages.open("two", site.url)
        one.execute_script(page_javascript())
        assert next_alert(one) == "[user] hello world"
        two.execute_script(page_javascript())
        assert next_alert(two) == "[user] hello world"
        assert next_alert(one) == "[user] hello world"
