"""Static files for development: ``STATIC_URL`` served by the ``http.request`` consumer.

``runserver`` and ``runworker`` use :class:`StaticFilesConsumer` instead of
:class:`~channels.handler.ViewConsumer` when ``django.contrib.staticfiles`` is installed and
``DEBUG`` is on (as Django's own ``runserver`` does). Files are found by the staticfiles
finders and streamed as a ``FileResponse``, never read whole into memory. As in Django, this
is for development only: in production a web server or CDN serves static files.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles.views import serve
from django.core.handlers.exception import response_for_exception
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from .handler import AsgiHandler, ViewConsumer


class StaticFilesHandler(AsgiHandler):
    """An :class:`~channels.handler.AsgiHandler` that serves files under ``STATIC_URL``.

    Files are served only when ``django.contrib.staticfiles`` is installed, ``STATIC_URL`` is
    a path on this site (not another host) and ``DEBUG`` is on, or ``insecure=True`` was
    given (``runserver --insecure``). A missing file gives Django's technical 404 page under
    ``DEBUG``; otherwise the request falls through to the views, like any other URL, so a view
    under ``STATIC_URL`` still answers.
    """

    def __init__(self, insecure: bool = False) -> None:
        self.insecure = insecure
        super().__init__()

    def static_prefix(self) -> str | None:
        """The URL path to serve files under, or None when nothing is to be served."""
        if not (settings.DEBUG or self.insecure):
            return None
        if not apps.is_installed("django.contrib.staticfiles") or not settings.STATIC_URL:
            return None
        base_url = urlparse(str(settings.STATIC_URL))
        if base_url.netloc or not base_url.path.startswith("/"):
            return None
        return base_url.path

    def get_response(self, request: HttpRequest) -> HttpResponseBase:
        prefix = self.static_prefix()
        if prefix is None or not request.path.startswith(prefix):
            return super().get_response(request)
        try:
            response = serve(request, url2pathname(request.path[len(prefix) :]), insecure=True)
        except Http404 as exc:
            if not settings.DEBUG:
                return super().get_response(request)
            response = response_for_exception(request, exc)
        response._resource_closers.append(request.close)
        return response


class StaticFilesConsumer(ViewConsumer):
    """The ``http.request`` consumer used in development: static files, then views."""

    handler_class = StaticFilesHandler

    def __init__(self, insecure: bool = False) -> None:
        super().__init__()
        self.insecure = insecure

    @property
    def handler(self) -> AsgiHandler:
        """This consumer's :class:`StaticFilesHandler`, made on first use."""
        if self._handler is None:
            with self._handler_lock:
                if self._handler is None:
                    handler_class: Any = self.handler_class
                    self._handler = handler_class(insecure=self.insecure)
        return self._handler


__all__ = ["StaticFilesConsumer", "StaticFilesHandler"]
