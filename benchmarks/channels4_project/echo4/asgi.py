"""The benchmark's ASGI application, written against Channels 4's API."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "echo4.settings")
django.setup()

from django.urls import path  # noqa: E402

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from echo4.consumers import EchoConsumer, GroupEchoConsumer, HelloConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": URLRouter([path("hello/", HelloConsumer.as_asgi())]),
        "websocket": URLRouter(
            [path("echo/", EchoConsumer.as_asgi()), path("group/", GroupEchoConsumer.as_asgi())]
        ),
    }
)
