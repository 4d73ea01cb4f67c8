"""Views of the fault tests: one that takes its time, one whose every run leaves a mark."""

from __future__ import annotations

import os
import time

from django.http import HttpRequest, HttpResponse
from django.urls import path


def slow(request: HttpRequest) -> HttpResponse:
    """Answers after ``?seconds=`` (default 30): a request a worker is busy with."""
    time.sleep(float(request.GET.get("seconds", "30")))
    return HttpResponse("slow done")


def effect(request: HttpRequest) -> HttpResponse:
    """Appends a line to the file ``FAULTS_EFFECT_FILE`` names: the side effect the tests
    count to prove a request ran, or never ran."""
    with open(os.environ["FAULTS_EFFECT_FILE"], "a", encoding="utf-8") as marks:
        marks.write(f"{request.GET.get('mark', '-')}\n")
    return HttpResponse("effect done")


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("hello")


urlpatterns = [
    path("slow/", slow),
    path("effect/", effect),
    path("hello/", hello),
]
