"""The liveblog example without a browser: a reader's socket gets each saved ``BlogUpdate``,
saved in the admin (under ``runserver``) or in ``manage.py shell`` in another process (under
daphne + two ``runworker`` + Redis), as its README says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .clients import Visitor, receive_json
from .processes import example_env, manage, redis_deployment, run_command, runserver

#: The README's way to post an update from another process.
SHELL_SAVE = "from liveblog.models import BlogUpdate; BlogUpdate.objects.create(content={!r})"


def test_an_update_saved_in_the_admin_reaches_an_open_page_under_runserver(
    tmp_path: Path,
) -> None:
    env = example_env(
        tmp_path,
        DJANGO_SUPERUSER_USERNAME="editor",
        DJANGO_SUPERUSER_PASSWORD="editor-password",
        DJANGO_SUPERUSER_EMAIL="editor@example.com",
    )
    with runserver("liveblog", env) as site:
        run_command("liveblog", manage("liveblog", "createsuperuser", "--noinput"), env)
        with Visitor(site) as reader, Visitor(site) as editor:
            assert "Nothing yet." in reader.http.get("/").text
            with reader.websocket("/updates/") as socket:
                logged_in = editor.post_form(
                    "/admin/login/?next=/admin/",
                    {"username": "editor", "password": "editor-password", "next": "/admin/"},
                )
                assert logged_in.status_code == 302, logged_in.text
                added = editor.post_form(
                    "/admin/liveblog/blogupdate/add/", {"content": "Kick-off!", "_save": "Save"}
                )
                assert added.status_code == 302, added.text
                update = receive_json(socket)
                assert update["content"] == "Kick-off!"
            assert "Kick-off!" in reader.http.get("/").text


@pytest.mark.redis
def test_an_update_saved_in_a_shell_reaches_an_open_page_under_daphne_and_runworkers(
    tmp_path: Path, example_redis: dict[str, str]
) -> None:
    env = example_env(tmp_path, **example_redis)
    with redis_deployment("liveblog", env) as site, Visitor(site) as reader:
        with reader.websocket("/updates/") as socket:
            run_command("liveblog", manage("liveblog", "shell", "-c", SHELL_SAVE.format("Hi")), env)
            update = receive_json(socket)
            assert update["content"] == "Hi"
            assert json.loads(json.dumps(update)).keys() == {"id", "content", "created"}
        assert "Hi" in reader.http.get("/").text
