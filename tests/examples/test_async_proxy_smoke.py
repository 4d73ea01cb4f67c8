"""The async proxy example: views hand slow upstream requests to async consumers, so a few
worker threads serve many waiting requests at once. Run both ways its README says, against
its slow upstream (``upstream.py``)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from .clients import TIMEOUT
from .processes import ExampleProcess, Site, example_env, redis_deployment, runserver

#: Seconds each upstream answer takes in these tests.
UPSTREAM_DELAY = 1.0
#: Requests made at once: several times the sync worker threads of either deployment
#: (runserver: 4; two runworkers: 1 each), so that waiting in those threads would take
#: several times UPSTREAM_DELAY.
AT_ONCE = 16


@pytest.fixture
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python upstream.py`` on a free port; its URL."""
    command = [sys.executable, "upstream.py", "--port", "0", "--delay", str(UPSTREAM_DELAY)]
    process = ExampleProcess(
        "slow upstream", "async_proxy", command, example_env(tmp_path_factory.mktemp("upstream"))
    )
    try:
        yield process.wait_for(r"Slow upstream at (http://\S+/)")[1].rstrip("/")
        process.stop()
    finally:
        process.cleanup()


def proxy_round_trips(site: Site) -> None:
    with httpx.Client(base_url=site.url, timeout=TIMEOUT) as client:
        assert "Async proxy" in client.get("/").text
        oslo = client.get("/weather/Oslo/")
        assert oslo.status_code == 200, oslo.text
        assert oslo.json()["city"] == "Oslo"
        compared = client.get("/compare/", params={"cities": "Oslo,Lima,Cairo"})
        assert compared.status_code == 200, compared.text
        assert {reading["city"] for reading in compared.json()["readings"]} == {
            "Oslo",
            "Lima",
            "Cairo",
        }

        cities = [f"City{number}" for number in range(AT_ONCE)]
        started = time.monotonic()
        with ThreadPoolExecutor(AT_ONCE) as pool:
            answers = list(pool.map(lambda city: client.get(f"/weather/{city}/"), cities))
        elapsed = time.monotonic() - started
        assert [answer.json()["city"] for answer in answers] == cities
        # Waiting in sync threads would take at least 4 x UPSTREAM_DELAY here.
        assert elapsed < 3 * UPSTREAM_DELAY, f"{AT_ONCE} proxied requests took {elapsed:.2f} s"


def test_async_proxy_runs_under_runserver_as_its_readme_says(tmp_path: Path, upstream: str) -> None:
    with runserver("async_proxy", example_env(tmp_path, ASYNC_PROXY_UPSTREAM=upstream)) as site:
        proxy_round_trips(site)


@pytest.mark.redis
def test_async_proxy_runs_under_daphne_and_two_runworkers_as_its_readme_says(
    tmp_path: Path, upstream: str, example_redis: dict[str, str]
) -> None:
    env = example_env(tmp_path, ASYNC_PROXY_UPSTREAM=upstream, **example_redis)
    with redis_deployment("async_proxy", env) as site:
        proxy_round_trips(site)
