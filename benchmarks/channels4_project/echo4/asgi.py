"""The benchmark's ASGI application, written against Channels 4's API."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "echo4.settings")
django.setup()

from django.core.asgi import get_asgi_application  # noqa: E402
from django.urls import path, re_path  # noqa: E402

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from echo4.consumers import EchoConsumer, GroupEchoConsumer, HelloConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": URLRouter(
            [
                path("hello/", HelloConsumer.as_asgi()),
                # Django's views (echo4/urls.py), as a Channels 4 site serves them.
                re_path(r"^django/", get_asgi_application()),
            ]
        ),
        "websocket": URLRouter(
            [path("echo/", EchoConsumer.as_asgi()), path("group/", GroupEchoConsumer.as_asgi())]
        ),
    }
)
