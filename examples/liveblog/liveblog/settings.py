"""Settings of the liveblog example.

Out of the box the channel layer is in memory, for ``manage.py runserver`` alone: updates
saved in the admin (served by that same process) reach the open pages. To save updates from
another process (``manage.py shell``, a script, a cron job) the processes need a shared
layer: set ``CHANNELS_REDIS_URL`` (e.g. ``redis://127.0.0.1:6379``) for every one of them.

Environment variables (all optional):

``CHANNELS_REDIS_URL``     use the Redis layer at this URL
``CHANNELS_REDIS_PREFIX``  its key prefix (default ``liveblog:``)
``DJANGO_DEBUG``           ``1`` (default) or ``0``
``DJANGO_ALLOWED_HOSTS``   comma-separated (default ``localhost,127.0.0.1,[::1]``)
``DJANGO_SECRET_KEY``      set it to something secret anywhere but your own machine
``DJANGO_DATABASE``        the SQLite file (default ``db.sqlite3`` beside ``manage.py``)
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "liveblog-example-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")

INSTALLED_APPS = [
    # First, so that `manage.py runserver` is the Channels one (HTTP and WebSocket).
    "channels",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "liveblog",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "liveblog.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DJANGO_DATABASE") or BASE_DIR / "db.sqlite3",
    }
}

USE_TZ = True
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_ROUTING = "liveblog.routing.channel_routing"
if os.environ.get("CHANNELS_REDIS_URL"):
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.redis.RedisChannelLayer",
            "CONFIG": {
                "hosts": [os.environ["CHANNELS_REDIS_URL"]],
                "prefix": os.environ.get("CHANNELS_REDIS_PREFIX", "liveblog:"),
            },
            "ROUTING": _ROUTING,
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.inmemory.InMemoryChannelLayer",
            "ROUTING": _ROUTING,
        }
    }
