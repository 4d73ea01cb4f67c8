"""The liveblog example in a real browser: an update saved by another process appears on an
open page within a second (daphne + two ``runworker`` + Redis, as the README runs it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .browser import by_css, by_id, wait, wait_connected
from .conftest import Pages
from .processes import example_env, manage, redis_deployment, run_command

#: Saves an update, then prints the time it was saved (seconds since the epoch).
SAVE_AND_TIME = (
    "import time; from liveblog.models import BlogUpdate; "
    "BlogUpdate.objects.create(content={!r}); print('saved at', repr(time.time()))"
)


@pytest.mark.redis
def test_an_update_saved_in_another_process_shows_on_an_open_page_within_a_second(
    tmp_path: Path, pages: Pages, example_redis: dict[str, str]
) -> None:
    env = example_env(tmp_path, **example_redis)
    with redis_deployment("liveblog", env) as site, pages:
        reader = pages.open("reader", site.url)
        wait_connected(reader, "live")
        assert by_id(reader, "empty").text == "Nothing yet."

        output = run_command(
            "liveblog", manage("liveblog", "shell", "-c", SAVE_AND_TIME.format("Goal!")), env
        )
        saved_at = float(output.rsplit("saved at", 1)[1].split()[0])
        item = wait(
            reader,
            lambda d: by_css(d, "#updates li.new"),
            "the new update on the page",
        )[0]
        assert by_css(item, ".content")[0].text == "Goal!"
        received_at = float(item.get_attribute("data-received-at"))
        assert received_at - saved_at < 1.0, (
            f"the update took {received_at - saved_at:.3f} s to reach the page"
        )
