"""Settings of the echo benchmark's Channels 4 project: the same file serves this package and
real Channels 4 (+ channels_redis), so both run identical code on one Redis."""

import os

SECRET_KEY = "benchmark-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = []
DATABASES = {}
USE_TZ = True
ASGI_APPLICATION = "echo4.asgi.application"
ROOT_URLCONF = "echo4.urls"
# The middleware of benchmarks/project/settings.py, so the Django views cost the same.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")],
            "prefix": os.environ["BENCH_REDIS_PREFIX"],
        },
    }
}
