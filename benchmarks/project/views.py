"""The view every HTTP benchmark requests."""

from django.http import HttpRequest, HttpResponse


def hello(request: HttpRequest) -> HttpResponse:
    """Hello world: what is left is the cost of the server and the framework."""
    return HttpResponse(b"Hello, world!", content_type="text/plain")
