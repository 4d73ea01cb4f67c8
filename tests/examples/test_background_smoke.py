"""The background example: a view hands a job to a channel and answers at once; a worker
runs it, and the delay server sends its follow-up later. Run both ways its README says."""

from __future__ import annotations

from pathlib import Path

import pytest

from .clients import Visitor, receive_json
from .processes import Site, example_env, redis_deployment, runserver


def start_job_and_watch(site: Site, limit: int, *, follow_up: bool) -> list[dict]:
    """Start a job from the page's form; the frames the page's socket gets for it."""
    with Visitor(site) as visitor, visitor.websocket("/jobs/") as socket:
        answer = visitor.post_form("/", {"limit": str(limit)})
        assert answer.status_code == 302, answer.text
        frames = [receive_json(socket)]
        while frames[-1]["status"] != "done" or (follow_up and not frames[-1]["followed_up"]):
            frames.append(receive_json(socket))
        assert f"<td>{frames[0]['id']}</td>" in visitor.http.get("/").text
        return frames


def test_background_jobs_and_follow_ups_run_under_runserver_as_its_readme_says(
    tmp_path: Path,
) -> None:
    env = example_env(tmp_path, BACKGROUND_FOLLOWUP_SECONDS="0.5")
    with runserver("background", env) as site:
        frames = start_job_and_watch(site, 100, follow_up=True)
    assert [frame["status"] for frame in frames] == ["queued", "running", "done", "done"]
    assert frames[2]["result"] == 25  # primes below 100
    assert frames[3]["followed_up"] is not None  # runserver's own delay server sent it


@pytest.mark.redis
def test_background_jobs_and_delayed_follow_ups_run_under_daphne_runworkers_and_rundelay(
    tmp_path: Path, example_redis: dict[str, str]
) -> None:
    env = example_env(tmp_path, BACKGROUND_FOLLOWUP_SECONDS="0.5", **example_redis)
    with redis_deployment("background", env, delay_server=True) as site:
        frames = start_job_and_watch(site, 1000, follow_up=True)
    statuses = [frame["status"] for frame in frames]
    assert statuses == ["queued", "running", "done", "done"], frames
    assert frames[2]["result"] == 168 and frames[2]["followed_up"] is None
    assert frames[3]["followed_up"] is not None
