"""Django views of the Channels 4 project, the same as ``benchmarks/project/views.py``'s, for
the HTTP benchmark (``benchmarks/http.py --channels4``): Channels 4 serves them with Django's
ASGI handler inside daphne."""

import time

from django.http import HttpResponse

#: As in ``benchmarks/project/views.py``: a database query or an upstream call.
WAIT_SECONDS = 0.05


def hello(request):
    """Hello world."""
    return HttpResponse(b"Hello, world!", content_type="text/plain")


def wait(request):
    """A sync view that waits 50 ms on I/O (a sleep here)."""
    time.sleep(WAIT_SECONDS)
    return HttpResponse(b"Waited.", content_type="text/plain")
