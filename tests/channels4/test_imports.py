"""Import rules of the Channels 4 API: the layer side stays Django-free, and the modules an
``asgi.py`` imports before ``get_asgi_application()`` import without configured settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(code: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_channels_4_layer_modules_import_no_django() -> None:
    code = (
        "import json, sys; import channels.layers, channels.layers.lookup, "
        "channels.layers.async_api, channels.layers.demux, channels.layers.channels_redis_options; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'django')))"
    )
    assert json.loads(run(code)) == []


def test_an_asgi_py_may_import_the_channels_4_api_before_django_is_set_up() -> None:
    modules = [
        "channels.auth",
        "channels.routing",
        "channels.security.websocket",
        "channels.sessions",
        "channels.generic.websocket",
        "channels.generic.http",
        "channels.consumer",
        "channels.db",
        "channels.middleware",
        "channels.layers",
        "channels.testing",
    ]
    run("; ".join(f"import {module}" for module in modules))
