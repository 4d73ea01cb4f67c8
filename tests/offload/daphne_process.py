"""``daphne tests.project.asgi:channel_layer`` in a subprocess on the Redis layer: the seeds'
deployment, for end-to-end tests (offload, WSGI) and ``benchmarks/offload.py``."""

from __future__ import annotations

import os

from tests.daphne_server import ROOT, DaphneServer


class ProjectDaphne(DaphneServer):
    """daphne serving the test project's layer on ``prefix``; ``extra_env`` adds settings
    (``CHANNELS_TEST_SETTINGS``...)."""

    def __init__(self, prefix: str, redis_url: str, extra_env: dict[str, str] | None = None):
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "tests.project.settings",
            "CHANNELS_TEST_LAYER": "redis",
            "CHANNELS_TEST_REDIS_PREFIX": prefix,
            "REDIS_URL": redis_url,
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        super().__init__(env, "tests.project.asgi:channel_layer")
