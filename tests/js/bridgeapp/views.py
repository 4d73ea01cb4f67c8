"""The page, its ES module twin, a page written for the 1.x client, and a form post that
saves a note on the server side."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import Note


def page(request: HttpRequest) -> HttpResponse:
    """The page of docs/javascript.rst (the classic script)."""
    return render(request, "bridgeapp/page.html")


def module_page(request: HttpRequest) -> HttpResponse:
    """The same client imported as an ES module."""
    return render(request, "bridgeapp/module.html")


def legacy_page(request: HttpRequest) -> HttpResponse:
    """A page written against the Channels 1.x client, unchanged."""
    return render(request, "bridgeapp/legacy.html")


@csrf_exempt  # called by the tests, not by a form of the site
@require_POST
def add_note(request: HttpRequest) -> HttpResponse:
    """Save a note with the posted ``text``; the binding sends it to every page."""
    note = Note.objects.create(text=request.POST["text"])
    return HttpResponse(str(note.pk), content_type="text/plain")
