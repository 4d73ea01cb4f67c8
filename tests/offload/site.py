"""A small site that offloads, for the end-to-end tests and ``benchmarks/offload.py``:
its URLconf (``CHANNELS_TEST_URLCONF=tests.offload.site``) and routing
(``CHANNELS_TEST_ROUTING=tests.offload.site.channel_routing``).

The upstream's base URL is the setting ``OFFLOAD_TEST_UPSTREAM`` (given to subprocesses in
``CHANNELS_TEST_SETTINGS``).
"""

from __future__ import annotations

import sys
import urllib.request
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path

from channels.message import Message
from channels.offload import arespond, client, fetch, offload, run_command
from channels.routing import include, route


def upstream(path_and_query: str) -> str:
    return str(settings.OFFLOAD_TEST_UPSTREAM) + path_and_query


def plain(request: HttpRequest) -> HttpResponse:
    """The slow way: the worker thread itself waits for the upstream."""
    ms = request.GET.get("ms", "50")
    with urllib.request.urlopen(upstream(f"/slow?ms={ms}"), timeout=30) as response:
        return HttpResponse(response.read(), content_type="text/plain")


def offloaded(request: HttpRequest) -> HttpResponse:
    """The same page, offloaded: the thread is free once the message is sent."""
    ms = request.GET.get("ms", "50")
    fetch(request, upstream(f"/slow?ms={ms}"), timeout=float(request.GET.get("timeout", 30)))
    raise AssertionError("fetch() returns only for Messages")  # pragma: no cover


def proxy(request: HttpRequest) -> HttpResponse:
    """Any upstream path, for streaming and error tests."""
    fetch(
        request,
        upstream(request.GET["path"]),
        timeout=float(request.GET.get("timeout", 30)),
    )
    raise AssertionError("unreachable")  # pragma: no cover


def unreachable(request: HttpRequest) -> HttpResponse:
    """An upstream where nothing listens (the port is in ``OFFLOAD_TEST_DEAD_PORT``)."""
    fetch(request, f"http://127.0.0.1:{settings.OFFLOAD_TEST_DEAD_PORT}/", timeout=5)
    raise AssertionError("unreachable")  # pragma: no cover


def command(request: HttpRequest) -> HttpResponse:
    """A program whose exit code and run time the query string chooses."""
    code = (
        "import sys, time\n"
        "time.sleep(float(sys.argv[2]))\n"
        "print('ran with', sys.argv[1])\n"
        "if sys.argv[1] != '0':\n"
        "    print('failed with', sys.argv[1], file=sys.stderr)\n"
        "    sys.exit(int(sys.argv[1]))\n"
    )
    run_command(
        request,
        [sys.executable, "-c", code, request.GET.get("exit", "0"), request.GET.get("sleep", "0")],
        timeout=float(request.GET.get("timeout", 10)),
        statuses={3: 404},
    )
    raise AssertionError("unreachable")  # pragma: no cover


def shout(request: HttpRequest) -> HttpResponse:
    """The general mechanism with a consumer of our own."""
    offload(request, "offload.test.shout", {"text": request.GET.get("text", "")})
    raise AssertionError("unreachable")  # pragma: no cover


async def shout_consumer(message: Message, **kwargs: Any) -> None:
    """Answers the browser directly on the reply channel."""
    await arespond(message, 200, message["text"].upper() + "!")


def low_level(message: Message, **kwargs: Any) -> None:
    """The seed's low-level usage: a plain http.request consumer handing its message on."""
    return client.request(message, url=upstream("/slow?ms=1"))


urlpatterns = [
    path("plain/", plain),
    path("offloaded/", offloaded),
    path("proxy/", proxy),
    path("unreachable/", unreachable),
    path("command/", command),
    path("shout/", shout),
]

channel_routing = [
    include("channels.offload.routing.routes"),
    route("offload.test.shout", shout_consumer),
    route("http.request", low_level, path=r"^/low-level/$"),
]
