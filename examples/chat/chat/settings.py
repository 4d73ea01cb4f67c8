"""Settings of the chat example.

Out of the box the channel layer is in memory, for ``manage.py runserver`` alone. Set
``CHANNELS_REDIS_URL`` (e.g. ``redis://127.0.0.1:6379``) to use Redis instead, which is what
``daphne chat.asgi:channel_layer`` plus separate ``manage.py runworker`` processes need.

Environment variables (all optional):

``CHANNELS_REDIS_URL``     use the Redis layer at this URL
``CHANNELS_REDIS_PREFIX``  its key prefix (default ``chat:``)
``DJANGO_DEBUG``           ``1`` (default) or ``0``
``DJANGO_ALLOWED_HOSTS``   comma-separated (default ``localhost,127.0.0.1,[::1]``); WebSocket
                           handshakes whose ``Origin`` names another host are refused
``DJANGO_SECRET_KEY``      set it to something secret anywhere but your own machine
``DJANGO_DATABASE``        the SQLite file (default ``db.sqlite3`` beside ``manage.py``)
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "chat-example-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")

INSTALLED_APPS = [
    # First, so that `manage.py runserver` is the Channels one (HTTP and WebSocket).
    "channels",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "chat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "chat.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
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

# The socket learns who you are from the HTTP session cookie (channel_session_user_from_http);
# a session kept in the database is visible to every worker process.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
LOGIN_URL = "/"

USE_TZ = True
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_ROUTING = "chat.routing.channel_routing"
if os.environ.get("CHANNELS_REDIS_URL"):
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.redis.RedisChannelLayer",
            "CONFIG": {
                "hosts": [os.environ["CHANNELS_REDIS_URL"]],
                "prefix": os.environ.get("CHANNELS_REDIS_PREFIX", "chat:"),
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
