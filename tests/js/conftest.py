"""Fixtures for the browser tests of the JavaScript client: the Chromium pages of
``tests/examples`` (``browser_pool`` and ``pages``, skipped on a laptop without Chromium,
failing under CI), and ``bridge_site``: ``runserver`` serving ``tests.js.bridgeapp`` on a
port it can be restarted on."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import RUNSERVER_BANNER, START_TIMEOUT, STOP_TIMEOUT, free_port, project_env
from tests.examples.conftest import (  # noqa: F401 (fixtures and the report hook, used here)
    browser_pool,
    pages,
    pytest_runtest_makereport,
)
from tests.examples.processes import ExampleProcess
from tests.processes import migrate
from tests.project import settings as project_settings

APP = "tests.js.bridgeapp"
ROUTING = "tests.js.bridgeapp.routing.channel_routing"
URLCONF = "tests.js.bridgeapp.urls"


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
        self.server: ExampleProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start runserver on the site's port; return once it listens."""
        assert self.server is None, "the site is already running"
        command = [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{self.port}"]
        # An example's process (examples/ as its folder, which the settings module does not
        # need): its output goes into failed tests' reports.
        self.server = ExampleProcess("bridge runserver", ".", [*command, "--noreload"], self.env)
        match = self.server.wait_for(RUNSERVER_BANNER, START_TIMEOUT)
        assert int(match[1]) == self.port, self.server.output()

    def stop(self) -> None:
        """Stop runserver by its pid (Ctrl-C) and check that it exited cleanly."""
        server, self.server = self.server, None
        assert server is not None, "the site is not running"
        try:
            code = server.stop(signal.SIGINT, STOP_TIMEOUT)
            assert code == 0, f"runserver exited with {code}:\n{server.output()}"
        finally:
            server.cleanup()


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
