"""The views the HTTP benchmarks request."""

import time

from django.http import HttpRequest, HttpResponse

from channels import Channel
from channels.exceptions import ResponseLater

#: The channel ``park`` hands its reply channel to (see ``consumers.longpoll_park``).
PARK_CHANNEL = "longpoll.park"
#: How long ``wait`` holds its thread, standing for a database query or an upstream API call.
WAIT_SECONDS = 0.05


def hello(request: HttpRequest) -> HttpResponse:
    """Hello world: what is left is the cost of the server and the framework."""
    return HttpResponse(b"Hello, world!", content_type="text/plain")


def wait(request: HttpRequest) -> HttpResponse:
    """A sync view that waits 50 ms on I/O (a sleep here), as views calling a database or an
    API do: what is measured is how many such waits the server overlaps."""
    time.sleep(WAIT_SECONDS)
    return HttpResponse(b"Waited.", content_type="text/plain")


def park(request: HttpRequest) -> HttpResponse:
    """A long-poll request: hand the reply channel over and free the worker thread; the
    ``longpoll.park`` consumer parks it until the benchmark releases them all."""
    Channel(PARK_CHANNEL).send({"reply_channel": request.reply_channel.name})
    raise ResponseLater()
