"""A test run started with SIGINT ignored (``nohup``-style, ``pytest &`` in a script) still
starts processes that stop on SIGINT, which is how the tests stop ``runserver``.

Each check runs a real launcher process that ignores SIGINT, as such a run does; it starts a
real ``manage.py runserver`` through ``tests.processes`` and sends it SIGINT."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest

from tests.processes import run

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 60.0

#: Ignores SIGINT like a nohup-style launcher, optionally applies the tests' fix, then starts
#: runserver as the e2e tests do. Prints whether runserver ignores SIGINT (read from
#: /proc/PID/status, no waiting) and, unless it does, its exit code after a SIGINT.
LAUNCHER = textwrap.dedent(
    """
    import signal, sys
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from tests import processes
    if sys.argv[1] == "fixed":
        processes.children_take_sigint()
    env = {**processes.os.environ, "DJANGO_SETTINGS_MODULE": "tests.project.settings",
           "PYTHONPATH": str(processes.ROOT), "PYTHONUNBUFFERED": "1"}
    with processes.ManageProcess(env, "runserver", "127.0.0.1:0", "--noreload") as server:
        server.wait_for("Starting Channels development server", 30)
        with open(f"/proc/{server.process.pid}/status") as status:
            mask = next(line for line in status if line.startswith("SigIgn:")).split()[1]
        ignored = bool(int(mask, 16) & (1 << (signal.SIGINT - 1)))
        print("runserver ignores SIGINT:", ignored)
        if not ignored:
            server.process.send_signal(signal.SIGINT)
            print("runserver exit:", server.wait(20))
    """
)


def launch(mode: str) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("CHANNELS_TEST_LAYER", None)
    output = run([sys.executable, "-c", LAUNCHER, mode], env=env, timeout=DEADLINE)
    return [line for line in output.splitlines() if line.startswith("runserver ")]


needs_proc = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads signal masks from /proc (Linux)"
)


@needs_proc
def test_an_ignored_sigint_is_inherited_without_the_fix() -> None:
    # The problem, reproduced: otherwise the next test would prove nothing.
    assert launch("plain") == ["runserver ignores SIGINT: True"]


@needs_proc
def test_children_of_a_run_that_ignores_sigint_stop_on_sigint() -> None:
    assert launch("fixed") == ["runserver ignores SIGINT: False", "runserver exit: 0"]
