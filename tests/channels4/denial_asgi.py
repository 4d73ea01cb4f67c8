"""The ``asgi.py`` of the denial tests' project: the consumers of ``denial_consumers`` served
in-process, and a 1.x ``ROUTING`` (``channel_routing`` below) through workers behind them."""

from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from django.urls import path  # noqa: E402

from channels.routing import ProtocolTypeRouter, URLRouter, route  # noqa: E402
from channels.serving import WorkerFallback  # noqa: E402

from .denial_consumers import AsyncJsonLocked, AsyncLocked, JsonLocked, SyncLocked  # noqa: E402

application = WorkerFallback(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": URLRouter(
                [
                    path("async/", AsyncLocked.as_asgi()),
                    path("sync/", SyncLocked.as_asgi()),
                    path("async-json/", AsyncJsonLocked.as_asgi()),
                    path("json/", JsonLocked.as_asgi()),
                ]
            ),
        }
    )
)


def old_refuse(message):
    """1.x: refuse every socket on /old/ (the bridge turns this into a close, HTTP 403)."""
    message.reply_channel.send({"accept": False})


channel_routing = [route("websocket.connect", old_refuse, path=r"^/old/$")]
