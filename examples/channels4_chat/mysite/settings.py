"""Settings of the Channels 4 tutorial's chat site, as that tutorial writes them.

``daphne`` comes first in ``INSTALLED_APPS`` (its ``runserver`` serves ``ASGI_APPLICATION``),
``channels`` is not listed at all, and the layer is configured with ``channels_redis``'s
backend path and options. This package serves all of it: no ``channels_redis`` is installed.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "channels4-tutorial-not-secret"
DEBUG = True
ALLOWED_HOSTS = []

INSTALLED_APPS = [
    "daphne",
    "chat",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
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

ROOT_URLCONF = "mysite.urls"

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

WSGI_APPLICATION = "mysite.wsgi.application"
ASGI_APPLICATION = "mysite.asgi.application"

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [("127.0.0.1", 6379)],
        },
    },
}

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
        # ChannelsLiveServerTestCase serves the site from another process: a file, not memory.
        "TEST": {"NAME": BASE_DIR / "db_test.sqlite3"},
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Not part of the tutorial: lets this project's tests give each run its own Redis key
# prefix and database files, so runs never share state.
if os.environ.get("CHANNELS_REDIS_URL"):
    CHANNEL_LAYERS["default"]["CONFIG"] = {
        "hosts": [os.environ["CHANNELS_REDIS_URL"]],
        "prefix": os.environ.get("CHANNELS_REDIS_PREFIX", "asgi"),
    }
if os.environ.get("DJANGO_DATABASE"):
    DATABASES["default"]["NAME"] = os.environ["DJANGO_DATABASE"]
    DATABASES["default"]["TEST"]["NAME"] = os.environ["DJANGO_DATABASE"] + ".test"
