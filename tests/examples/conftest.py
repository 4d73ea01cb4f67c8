"""Fixtures for the examples' tests: a real Chromium driven by Selenium, a Redis URL for the
examples' ``CHANNELS_REDIS_URL``, and failure reports that carry each server's output and a
screenshot of each page.

Set ``CHANNELS_SCREENSHOTS=1`` to keep the screenshots of passing tests too.

Chromium is Debian's (``apt-get install chromium chromium-driver``). Without it the browser
tests are skipped on a laptop, but fail under CI (the ``CI`` environment variable).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.conftest import delete_keys_under, running_under_ci

from .processes import RUNNING, redis_prefix

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

#: The flags this machine's Chromium needs: headless, as root, on a closed network.
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1000,800",
]

#: Most browsers one test uses (chat: two users in a room, one in another).
BROWSERS = 3


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    """Keep each phase's report on the item (for screenshots on failure) and attach the
    output of every example process still around to a failed test's report."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"report_{report.when}", report)
    if report.failed:
        for process in list(RUNNING):
            state = process.process.poll()
            status = "running" if state is None else f"exited with {state}"
            report.sections.append(
                (f"{process.name} (pid {process.process.pid}, {status})", process.output())
            )


def _missing_browser() -> str | None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if not missing:
        return None
    return (
        f"{' and '.join(missing)} not found; install Debian's browser for these tests with: "
        "apt-get update && apt-get install -y chromium chromium-driver"
    )


def _start_browser(profile: Path) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(20)
    driver.set_script_timeout(10)
    return driver


@pytest.fixture(scope="session")
def browser_pool() -> Iterator[list[Any]]:
    """``BROWSERS`` headless Chromiums, each with a fresh profile (so its own cookies)."""
    reason = _missing_browser()
    if reason is not None:
        if running_under_ci():
            pytest.fail(f"the browser tests need Chromium under CI: {reason}", pytrace=False)
        pytest.skip(reason)
    try:
        import selenium  # noqa: F401
    except ImportError:
        reason = "the browser tests need selenium: pip install selenium"
        if running_under_ci():
            pytest.fail(f"the browser tests need selenium under CI: {reason}", pytrace=False)
        pytest.skip(reason)
    profiles = Path(tempfile.mkdtemp(prefix="channels-examples-chromium-"))
    drivers: list[Any] = [None] * BROWSERS
    errors: list[BaseException] = []

    def start(index: int) -> None:
        try:
            drivers[index] = _start_browser(profiles / f"profile-{index}")
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    # Started side by side: each takes a second or so.
    threads = [threading.Thread(target=start, args=(index,)) for index in range(BROWSERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        if errors or not all(drivers):
            raise RuntimeError(f"could not start Chromium: {errors or 'timed out after 60 s'}")
        yield drivers
    finally:
        for driver in drivers:
            if driver is not None:
                with contextlib.suppress(Exception):
                    driver.quit()
        shutil.rmtree(profiles, ignore_errors=True)


class Pages:
    """The browser pages of one test, by name. On failure each is saved as a screenshot
    (``<name>.png``) and its HTML (``<name>.html``) under the test's ``tmp_path``.

    Use it as a context manager inside the server's one (``with runserver(...) as site,
    pages:``) so that the pages are saved while the server still runs, as the failure left
    them; otherwise they are saved after the test."""

    def __init__(self, drivers: list[Any], directory: Path) -> None:
        self._free = list(drivers)
        self.directory = directory
        self.opened: dict[str, Any] = {}
        self.saved: list[Path] = []

    def __enter__(self) -> Pages:
        return self

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        if kind is not None or os.environ.get("CHANNELS_SCREENSHOTS"):
            self.save()

    def open(self, name: str, url: str) -> Any:
        """A browser of its own (own cookies) showing ``url``."""
        if not self._free:
            raise RuntimeError(f"no browser left for page {name!r}: raise BROWSERS")
        driver = self._free.pop(0)
        self.opened[name] = driver
        driver.get(url)
        return driver

    def save(self) -> None:
        """Save every page (screenshot and HTML) now."""
        for name, driver in self.opened.items():
            with contextlib.suppress(Exception):
                driver.save_screenshot(str(self.directory / f"{name}.png"))
                self.saved.append(self.directory / f"{name}.png")
                html = driver.page_source
                (self.directory / f"{name}.html").write_text(html, encoding="utf-8")
        print(f"screenshots of the pages: {', '.join(map(str, self.saved))}")


@pytest.fixture
def pages(
    request: pytest.FixtureRequest, browser_pool: list[Any], tmp_path: Path
) -> Iterator[Pages]:
    """Pages for this test on the shared browsers, which start with no cookies and end on a
    blank page (closing every socket the test opened)."""
    for driver in browser_pool:
        driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    result = Pages(browser_pool, tmp_path)
    yield result
    report = getattr(request.node, "report_call", None)
    if not result.saved and (report is None or report.failed):
        result.save()
    for driver in result.opened.values():
        with contextlib.suppress(Exception):
            driver.get("about:blank")


@pytest.fixture
def example_redis(redis_url: str) -> Iterator[dict[str, str]]:
    """``CHANNELS_REDIS_URL`` and a ``CHANNELS_REDIS_PREFIX`` of this test's own, whose keys
    are deleted afterwards."""
    prefix = redis_prefix()
    yield {"CHANNELS_REDIS_URL": redis_url, "CHANNELS_REDIS_PREFIX": prefix}
    client = redis.Redis.from_url(redis_url, socket_timeout=10)
    try:
        delete_keys_under(client, prefix)
    finally:
        client.close()
