"""Real Channels 4 beside this package, for ``benchmarks/websocket.py --channels4``.

Channels 4 provides the import package ``channels`` too, so it lives in a virtualenv of its
own under ``~/.cache/channels-bench/channels4`` (``CHANNELS_BENCH_CACHE`` moves the
folder), made on first use with ``pip install channels channels_redis daphne Django``, never
in the project's environment. Both servers run ``benchmarks/channels4_project`` (identical
code, written against the Channels 4 API, ``channels_redis`` settings) on the same Redis.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from benchmarks.project.servers import ROOT, Process, start_daphne

PROJECT = ROOT / "benchmarks" / "channels4_project"
APPLICATION = "echo4.asgi:application"
#: redis-py 8 gives sockets a 5 s timeout that channels_redis's 5 s blocking pops trip over
#: (an idle consumer dies with TimeoutError, its socket with 1011): the baseline gets 7.x.
PACKAGES = [
    "channels>=4,<5",
    "channels_redis>=4,<5",
    "redis>=5,<8",
    "daphne>=4,<5",
    "Django>=4.2,<6",
]


def venv_dir() -> Path:
    cache = os.environ.get("CHANNELS_BENCH_CACHE") or Path.home() / ".cache" / "channels-bench"
    return Path(cache) / "channels4"


def ensure_channels4() -> tuple[Path, str]:
    """The Channels 4 virtualenv (made if missing) and the versions installed in it."""
    venv = venv_dir()
    python = venv / "bin" / "python"
    if not (venv / "bin" / "daphne").exists():
        print(f"installing Channels 4 into {venv} ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PACKAGES], check=True)
    versions = subprocess.run(
        [
            str(python),
            "-c",
            "from importlib.metadata import version as v; "
            "print(' '.join(f'{p} {v(p)}' for p in ('channels', 'channels_redis', 'redis')))",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=venv,  # not ROOT: its ``channels`` folder would shadow the installed one
    ).stdout.strip()
    return venv, versions


def env_for(prefix: str, redis_url: str, *, ours: bool) -> dict[str, str]:
    """The server's environment: the project folder on the path (and this package's root
    for ours only), the test run's Redis prefix."""
    path = [str(PROJECT)] + ([str(ROOT)] if ours else [])
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV")
    }
    env.update(
        PYTHONPATH=os.pathsep.join(path),
        DJANGO_SETTINGS_MODULE="echo4.settings",
        BENCH_REDIS_PREFIX=prefix,
        REDIS_URL=redis_url,
        PYTHONUNBUFFERED="1",
    )
    return env


def start_ours(prefix: str, redis_url: str) -> tuple[Process, int]:
    """Daphne in this environment serving the project with this package."""
    env = env_for(prefix, redis_url, ours=True)
    return start_daphne(env, application=APPLICATION, cwd=PROJECT)


def start_channels4(venv: Path, prefix: str, redis_url: str) -> tuple[Process, int]:
    """The Channels 4 virtualenv's daphne serving the same project."""
    env = env_for(prefix, redis_url, ours=False)
    return start_daphne(
        env, application=APPLICATION, daphne=(str(venv / "bin" / "daphne"),), cwd=PROJECT
    )
