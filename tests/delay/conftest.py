"""Fixtures for the delay tests.

In process: ``delay_installed`` adds ``channels.delay`` to ``INSTALLED_APPS`` for the module
and creates its table in the test database. End to end: ``delay_site`` is a Redis prefix and
a migrated SQLite file that ``rundelay`` subprocesses share, with the test's own layer on
the same prefix.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test.utils import override_settings

from tests.processes import ManageProcess, migrate, project_env

#: Printed by rundelay once it receives.
READY_LINE = "delay server listening on"


@pytest.fixture(scope="module")
def delay_installed(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """``channels.delay`` installed, with its table in the test database, for a module."""
    apps = [*settings.INSTALLED_APPS, "channels.delay"]
    with override_settings(INSTALLED_APPS=apps):
        with django_db_blocker.unblock():
            call_command("migrate", "channels_delay", verbosity=0)
        yield


@dataclass
class DelaySite:
    """A Redis prefix and a migrated database for rundelay processes, and the test's layer."""

    env: dict[str, str]
    layer: Any
    db_path: Path

    def rundelay(self, *args: str) -> ManageProcess:
        """Start ``rundelay *args``; use it as a context manager."""
        return ManageProcess(self.env, "rundelay", *args)

    def stored(self) -> int:
        """Rows in the delayed-message table, read straight from the SQLite file."""
        import sqlite3

        with sqlite3.connect(self.db_path, timeout=10) as connection:
            (count,) = connection.execute(
                "SELECT COUNT(*) FROM channels_delay_delayedmessage"
            ).fetchone()
        return int(count)


def wait_until(condition: Any, timeout: float, what: str) -> None:
    """Return once ``condition()`` is true; fail after ``timeout`` seconds.

    For state in another process's database, which has no event to wait on: checked every
    20 ms until the deadline.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.02)


def make_site(redis_url: str, tmp_path: Path, capacity: int = 100) -> Iterator[DelaySite]:
    from channels.layers.redis import RedisChannelLayer

    prefix = f"test:delay:{uuid.uuid4().hex}:"
    db_path = tmp_path / "delay.sqlite3"
    env = project_env(redis_url, prefix, db_path, extra_apps=["channels.delay"], capacity=capacity)
    migrate(env)
    layer = RedisChannelLayer(hosts=[redis_url], prefix=prefix, capacity=capacity)
    try:
        yield DelaySite(env, layer, db_path)
    finally:
        layer.flush()
        layer.close()


@pytest.fixture
def delay_site(redis_url: str, tmp_path: Path) -> Iterator[DelaySite]:
    """A site for rundelay processes (channel capacity 100)."""
    yield from make_site(redis_url, tmp_path)


@pytest.fixture
def small_delay_site(redis_url: str, tmp_path: Path) -> Iterator[DelaySite]:
    """A site whose channels hold 2 messages, to meet ChannelFull."""
    yield from make_site(redis_url, tmp_path, capacity=2)
