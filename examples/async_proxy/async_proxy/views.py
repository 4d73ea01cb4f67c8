"""Views that hand their slow part to async consumers and end at once.

Each returns nothing: ``fetch`` and ``offload`` raise ``ResponseLater`` after handing the
request's reply channel on, so this worker thread is free for the next request while an
async consumer waits on the upstream and answers the browser itself.
"""

import re

from django.conf import settings
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.utils.http import urlencode

from channels.offload import fetch, offload

CITY = re.compile(r"^[A-Za-z][A-Za-z .'-]{0,49}$")


def index(request):
    return render(request, "async_proxy/index.html")


def weather(request, city):
    """One upstream request, relayed as it is: the ready-made ``fetch`` consumer."""
    fetch(
        request, f"{settings.ASYNC_PROXY_UPSTREAM}/weather?{urlencode({'city': city})}", timeout=10
    )


def compare(request):
    """Several upstream requests at once, combined: your own async consumer
    (``compare_cities`` in consumers.py), reached through the general mechanism."""
    cities = [city.strip() for city in request.GET.get("cities", "").split(",") if city.strip()]
    if not cities or len(cities) > 10 or not all(CITY.match(city) for city in cities):
        return HttpResponseBadRequest("give ?cities=Oslo,Lima (one to ten city names)\n")
    offload(request, "async_proxy.compare", {"cities": cities})
