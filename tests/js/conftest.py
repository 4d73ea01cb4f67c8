"""Fixtures for the browser tests of the JavaScript client: the Chromium pages of
``tests/examples`` (``browser_pool`` and ``pages``, skipped on a laptop without Chromium,
failing under CI), and ``bridge_site``: ``runserver`` serving ``tests.js.bridgeapp`` on a
port it can be restarted on."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import RUNSERVER_BANNER, START_TIMEOUT, STOP_TIMEOUT, free_port, project_env
from tests.examples.conftest import browser_pool, pages  # noqa: F401 (fixtures used here)
from tests.processes import ManageProcess, migrate
from tests.project import settings as project_settings

APP = "tests.js.bridgeapp"
ROUTING = "tests.js.bridgeapp.routing.channel_routing"
URLCONF = "tests.js.bridgeapp.urls"

#: Every runserver started by this module's tests, for failure reports.
SERVERS: list[ManageProcess] = []


class BridgeSite:
    """``runserver --noreload`` of the bridge app on a fixed port (so a restart comes back on
    the same address), DEBUG on so that it serves the static files."""

    def __init__(self, tmp_dir: Path) -> None:
        settings = {
            "DEBUG": True,
            "INSTALLED_APPS": [*project_settings.INSTALLED_APPS, APP],
            # The page is the app's template (templates/bridgeapp/).
            "TEMPLATES": [{**project_settings.TEMPLATES[0], "APP_DIRS": True}],
        }
        self.env = project_env(
            tmp_dir, settings=settings, CHANNELS_TEST_ROUTING=ROUTING, CHANNELS_TEST_URLCONF=URLCONF
        )
        migrate(self.env)
        self.port = free_port()
        self.server: ManageProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start runserver on the site's port; return once it listens."""
        assert self.server is None, "the site is already running"
        self.server = ManageProcess(self.env, "runserver", f"127.0.0.1:{self.port}", "--noreload")
        SERVERS.append(self.server)
        match = self.server.wait_for(RUNSERVER_BANNER, START_TIMEOUT)
        assert int(match[1]) == self.port, self.server.output

    def stop(self) -> None:
        """Stop runserver by its pid (Ctrl-C) and check that it exited cleanly."""
        server, self.server = self.server, None
        assert server is not None, "the site is not running"
        try:
            if server.alive():
                server.process.send_signal(signal.SIGINT)
            code = server.wait(STOP_TIMEOUT)
            assert code == 0, f"runserver exited with {code}:\n{server.output}"
        finally:
            server.__exit__(None, None, None)


@pytest.fixture(scope="module")
def bridge_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BridgeSite]:
    """The bridge app under runserver, for a module's tests (which leave it running)."""
    site = BridgeSite(tmp_path_factory.mktemp("bridge-site"))
    site.start()
    try:
        yield site
    finally:
        if site.server is not None:
            site.stop()
        SERVERS.clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    """Keep each phase's report on the item (``pages`` saves screenshots of failed tests)
    and attach the output of the runservers to a failed test's report."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"report_{report.when}", report)
    if report.failed:
        for server in SERVERS:
            state = server.process.poll()
            status = "running" if state is None else f"exited with {state}"
            report.sections.append(
                (f"runserver (pid {server.process.pid}, {status})", server.tail(150))
            )
