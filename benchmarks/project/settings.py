"""Settings of the benchmark project. The channel layer comes from the environment:

``BENCH_LAYER``         ``redis`` (default), ``ipc`` or ``inmemory`` (for ``runserver``)
``BENCH_REDIS_PREFIX``  the Redis key prefix (required with ``redis``; one per run)
``BENCH_IPC_PREFIX``    the IPC layer's store prefix (required with ``ipc``; one per run)
``REDIS_URL``           default ``redis://127.0.0.1:6379``
``BENCH_CHANNEL_CAPACITY``  ``channel_capacity`` as JSON (default: the layer's defaults)

The same settings serve gunicorn and the channels processes, so both run the same view
through the same middleware.
"""

from __future__ import annotations

import json
import os

SECRET_KEY = "channels-benchmarks-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True

INSTALLED_APPS = [
    # Before staticfiles, so that `runserver` is channels' one.
    "channels",
    "django.contrib.staticfiles",
]

# What a new project's hello world pays for, minus sessions/auth/CSRF (no database here).
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "benchmarks.project.urls"
DATABASES: dict[str, dict[str, str]] = {}
STATIC_URL = "/static/"

ROUTING = "benchmarks.project.routing.channel_routing"
_CAPACITY = json.loads(os.environ.get("BENCH_CHANNEL_CAPACITY") or "null")

if os.environ.get("BENCH_LAYER", "redis") == "redis":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.redis.RedisChannelLayer",
            "CONFIG": {
                "hosts": [os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379"],
                "prefix": os.environ["BENCH_REDIS_PREFIX"],
                "channel_capacity": _CAPACITY,
            },
            "ROUTING": ROUTING,
        }
    }
elif os.environ["BENCH_LAYER"] == "ipc":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.ipc.IPCChannelLayer",
            "CONFIG": {"prefix": os.environ["BENCH_IPC_PREFIX"]},
            "ROUTING": ROUTING,
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.inmemory.InMemoryChannelLayer",
            "ROUTING": ROUTING,
        }
    }

# Quiet: access logs would measure the terminal, not the server.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {
        "django.server": {"level": "WARNING"},
        "channels.access": {"level": "WARNING"},
    },
}
