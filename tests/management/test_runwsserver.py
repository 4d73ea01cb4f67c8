"""``manage.py runwsserver``, the earliest releases' command, says that runserver serves
WebSockets now, instead of Django's "Unknown command"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[2]


def test_runwsserver_raises_a_command_error_naming_runserver() -> None:
    with pytest.raises(CommandError, match=r"`manage.py runserver` now serves WebSockets"):
        call_command("runwsserver", "8000")


def test_runwsserver_on_the_command_line_says_what_to_run_instead() -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.project.settings",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "django", "runwsserver", "127.0.0.1:8000"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Unknown command" not in done.stderr
    assert "CommandError: `manage.py runwsserver` is gone" in done.stderr
    assert "daphne myproject.asgi:channel_layer" in done.stderr
