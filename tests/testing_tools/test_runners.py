"""The test tools under both runners, and the live server with real clients.

runner_cases.py runs in a subprocess with a file-based SQLite test database (the live server
cannot open an in-memory one): once under ``manage.py test`` (Django's runner), once under
pytest with pytest-django.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from channels.test import ChannelLiveServerTestCase

ROOT = Path(__file__).resolve().parents[2]
CASES = "tests.testing_tools.runner_cases"
#: Five live-server tests, two plain ones; each run starts one live server.
RUNNER_DEADLINE = 100.0


def runner_environment(tmp_path: Path) -> dict[str, str]:
    database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(tmp_path / "site.sqlite3"),
        "TEST": {"NAME": str(tmp_path / "test-site.sqlite3")},
    }
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.project.settings",
        "PYTHONPATH": str(ROOT),
        "CHANNELS_TEST_ROUTING": "tests.testing_tools.live_routing.channel_routing",
        "CHANNELS_TEST_SETTINGS": json.dumps({"DATABASES": {"default": database}}),
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    env.pop("PYTEST_ADDOPTS", None)
    return env


def run(command: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=ROOT,
        env=runner_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=RUNNER_DEADLINE,
    )


def test_the_tools_and_the_live_server_work_under_djangos_test_runner(tmp_path: Path) -> None:
    result = run([sys.executable, "-m", "django", "test", CASES, "--noinput", "-v", "2"], tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Ran 7 tests" in output
    assert "OK" in output


def test_the_tools_and_the_live_server_work_under_pytest_django(tmp_path: Path) -> None:
    cases = str(Path(*CASES.split(".")).with_suffix(".py"))
    result = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", cases], tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "7 passed" in output


@pytest.mark.django_db(transaction=True)
def test_the_live_server_refuses_an_in_memory_test_database() -> None:
    class LiveCase(ChannelLiveServerTestCase):
        def test_nothing(self) -> None:
            """Never runs."""

    with pytest.raises(ImproperlyConfigured, match=r"in-memory SQLite test database 'default'"):
        LiveCase.setUpClass()
