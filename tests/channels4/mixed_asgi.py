"""A mixed project's ``asgi.py``: Channels 4 routers first; what they do not route (the
``/old/`` sockets) goes to the 1.x consumers of ``ROUTING`` through workers."""

from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from django.urls import path  # noqa: E402

from channels.routing import ChannelNameRouter, ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.serving import WorkerFallback  # noqa: E402

from .mixed_consumers import NewsConsumer, ShoutConsumer  # noqa: E402

application = WorkerFallback(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": URLRouter([path("new/", NewsConsumer.as_asgi())]),
            "channel": ChannelNameRouter({"shout": ShoutConsumer.as_asgi()}),
        }
    )
)
