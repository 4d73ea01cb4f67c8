"""``docs/tutorial.rst`` runs as written.

Each test follows the tutorial from ``django-admin startproject chat .`` in a temporary
folder, writes exactly the files the page shows up to one of its steps (read out of the
``.rst``, see ``docs_project.py`` for the marking scheme), and runs the result as the page
says: step 2's echo, step 3's rooms, the finished site with two people chatting in two
headless Chromiums under ``runserver``, and the finished site under daphne, two
``runworker`` and Redis.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.processes import manage

from . import docs_project
from .browser import two_rooms_conversation
from .clients import TIMEOUT, Visitor, receive_json
from .conftest import Pages
from .processes import Site, example_env, redis_deployment, runserver

PAGE = "tutorial.rst"
STEP_ECHO = "2. A first consumer"
STEP_ROOMS = "3. Rooms: groups"


def start_project(tmp_path: Path, last_section: str | None = None) -> tuple[Path, dict[str, str]]:
    """The tutorial's project as it stands after ``last_section`` (the whole page if None),
    in a new folder; the folder and the environment to run it in."""
    commands = docs_project.console_commands(PAGE)
    for command in (
        "mkdir chat-site",
        "django-admin startproject chat .",
        "python manage.py migrate",
    ):
        assert command in commands, f"the tutorial no longer says `{command}`"
    folder = tmp_path / "chat-site"
    folder.mkdir()
    env = example_env(folder)  # startproject's settings keep db.sqlite3 in this folder
    manage(env, "startproject", "chat", ".", cwd=folder)  # django-admin startproject
    docs_project.write_blocks(folder, docs_project.blocks_until(PAGE, last_section))
    return folder, env


def socket(site: Site, path: str) -> object:
    return connect(site.ws_url.rstrip("/") + path, open_timeout=TIMEOUT, close_timeout=TIMEOUT)


def test_step_2_echoes_a_websocket_frame(tmp_path: Path) -> None:
    folder, env = start_project(tmp_path, STEP_ECHO)
    with runserver(str(folder), env) as site, socket(site, "/chat/") as ws:
        ws.send("hello world")
        assert ws.recv(timeout=TIMEOUT) == "hello world"


def test_step_3_broadcasts_to_the_room_and_only_the_room(tmp_path: Path) -> None:
    folder, env = start_project(tmp_path, STEP_ROOMS)
    with (
        runserver(str(folder), env) as site,
        socket(site, "/chat/lobby/") as first,
        socket(site, "/chat/lobby/") as second,
        socket(site, "/chat/kitchen/") as elsewhere,
    ):
        first.send("hi")
        expected = {"type": "message", "user": "someone", "text": "hi"}
        assert receive_json(first) == expected
        assert receive_json(second) == expected
        # FIFO per socket: had "hi" leaked into the kitchen, it would come before this.
        elsewhere.send("quiet here")
        assert receive_json(elsewhere)["text"] == "quiet here"


def test_the_finished_tutorial_signs_messages_with_the_session_name(tmp_path: Path) -> None:
    folder, env = start_project(tmp_path)
    with runserver(str(folder), env) as site, Visitor(site) as alice:
        # Without a name, the room's page sends you to the name form (LOGIN_URL).
        page = alice.http.get("/room/lobby/")
        assert page.status_code == 302 and page.headers["location"] == "/?next=/room/lobby/"
        assert alice.post_form("/", {"name": "alice"}).status_code == 302
        assert 'id="room">lobby<' in alice.http.get("/room/lobby/").text
        assert alice.http.get("/admin/login/").status_code == 200, "urls.py keeps the admin"
        with alice.websocket("/chat/lobby/") as ws:
            assert receive_json(ws) == {"type": "joined", "user": "alice"}
            ws.send("hello, lobby")
            assert receive_json(ws) == {"type": "message", "user": "alice", "text": "hello, lobby"}


def test_the_finished_tutorial_chats_between_browsers(tmp_path: Path, pages: Pages) -> None:
    folder, env = start_project(tmp_path)
    with runserver(str(folder), env) as site, pages:
        two_rooms_conversation(site, pages)


@pytest.mark.redis
def test_the_finished_tutorial_runs_under_daphne_two_workers_and_redis(
    tmp_path: Path, example_redis: dict[str, str]
) -> None:
    commands = docs_project.console_commands(PAGE)
    for command in ("daphne chat.asgi:channel_layer", "python manage.py runworker"):
        assert command in commands, f"the tutorial no longer says `{command}`"
    folder, env = start_project(tmp_path)
    env.update(example_redis)
    with redis_deployment(str(folder), env, project="chat") as site, Visitor(site) as bob:
        assert bob.post_form("/", {"name": "bob"}).status_code == 302
        with bob.websocket("/chat/lobby/") as ws:
            assert receive_json(ws) == {"type": "joined", "user": "bob"}
            ws.send("over redis")
            assert receive_json(ws) == {"type": "message", "user": "bob", "text": "over redis"}
