"""Settings of the small Django project the tests run (in process and in subprocesses).

The channel layer comes from the environment, so a test can start ``runworker`` on Redis:

``CHANNELS_TEST_LAYER``         ``inmemory`` (default), ``redis`` or ``ipc``
``CHANNELS_TEST_IPC_PREFIX``    the IPC layer's store prefix (required with ``ipc``)
``CHANNELS_TEST_REDIS_PREFIX``  the Redis key prefix (required with ``redis``; unique per test)
``CHANNELS_TEST_CAPACITY``      channel capacity, http.request and websocket.* too (default 100)
``REDIS_URL``                   default ``redis://127.0.0.1:6379``
``CHANNELS_TEST_DB``            the SQLite file (default: one in the temp directory)
``CHANNELS_TEST_ROUTING``       the ROUTING dotted path (default: this project's routing)
``CHANNELS_TEST_URLCONF``       the ROOT_URLCONF (default: this project's urls)
``CHANNELS_TEST_SETTINGS``      extra settings as JSON, e.g. ``{"CHANNELS_HTTP_TIMEOUT": 1}``
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = "channels-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    # Before staticfiles, so that `runserver` is channels' one.
    "channels",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "tests.project",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

ROOT_URLCONF = os.environ.get("CHANNELS_TEST_URLCONF", "tests.project.urls")

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [str(BASE_DIR / "templates")],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("CHANNELS_TEST_DB")
        or os.path.join(tempfile.gettempdir(), "channels-tests.sqlite3"),
    }
}

STATIC_URL = "/static/"

_ROUTING = os.environ.get("CHANNELS_TEST_ROUTING", "tests.project.routing.channel_routing")

# The tests fill channels with a few messages: one capacity for every normal channel, the
# interface server's included (their built-in default is 5,000).
_CAPACITY_VALUE = int(os.environ.get("CHANNELS_TEST_CAPACITY", "100"))
_CAPACITY = {
    "capacity": _CAPACITY_VALUE,
    "channel_capacity": {"http.request": _CAPACITY_VALUE, "websocket.*": _CAPACITY_VALUE},
}

if os.environ.get("CHANNELS_TEST_LAYER", "inmemory") == "redis":
    CHANNEL_LAYERS = {
        "default": {
            # The seeds' name for the Redis layer, kept working as an alias.
            "BACKEND": "asgi_redis.RedisChannelLayer",
            "CONFIG": {
                "hosts": [os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379"],
                "prefix": os.environ["CHANNELS_TEST_REDIS_PREFIX"],
                **_CAPACITY,
            },
            "ROUTING": _ROUTING,
        }
    }
elif os.environ.get("CHANNELS_TEST_LAYER") == "ipc":
    CHANNEL_LAYERS = {
        "default": {
            # The seeds' name for the IPC layer, kept working as an alias.
            "BACKEND": "asgi_ipc.IPCChannelLayer",
            "CONFIG": {
                "prefix": os.environ["CHANNELS_TEST_IPC_PREFIX"],
                **_CAPACITY,
            },
            "ROUTING": _ROUTING,
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "asgiref.inmemory.ChannelLayer", "ROUTING": _ROUTING},
    }

# Per-test extras (timeouts, capacities...) for subprocesses started by the tests.
globals().update(json.loads(os.environ.get("CHANNELS_TEST_SETTINGS", "{}")))
