"""The background example in a real browser: a job started while the page is open shows
there as it runs, finishes and gets its follow-up (runserver, as the README runs it first)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .browser import wait, wait_connected
from .clients import Visitor
from .conftest import Pages
from .processes import example_env, runserver


def row_of(driver: Any, job_id: str) -> list[str]:
    """The cells' texts of the page's row for job ``job_id`` (empty if it has none), read in
    one script: the page replaces a row's cells on each update."""
    return list(
        driver.execute_script(
            "return [...document.querySelectorAll(`#jobs tr[data-id='${arguments[0]}'] td`)]"
            ".map(td => td.textContent)",
            job_id,
        )
    )


def test_a_job_started_elsewhere_runs_and_follows_up_on_an_open_page(
    tmp_path: Path, pages: Pages
) -> None:
    env = example_env(tmp_path, BACKGROUND_FOLLOWUP_SECONDS="0.5")
    with runserver("background", env) as site, pages:
        page = pages.open("jobs", site.url)
        wait_connected(page, "live")
        with Visitor(site) as visitor:
            answer = visitor.post_form("/", {"limit": "100"})
            assert answer.status_code == 302, answer.text
        job_id = str(
            wait(
                page,
                lambda d: d.execute_script("return document.querySelector('#jobs tr')?.dataset.id"),
                "the job's row",
            )
        )

        def done_and_followed_up(driver: Any) -> list[str] | None:
            cells = row_of(driver, job_id)
            return cells if cells and cells[2] == "done" and cells[5] else None

        cells = wait(page, done_and_followed_up, "the job done and followed up on the page")
        assert cells[:4] == [job_id, "100", "done", "25"]  # 25 primes below 100
