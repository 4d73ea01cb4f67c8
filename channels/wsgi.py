"""``WsgiConsumer``: serve ``http.request`` messages with any WSGI application.

An existing WSGI app (Flask, Bottle, a legacy Django project's ``get_wsgi_application()``)
sits behind the interface server like Django's views do::

    from channels.routing import route
    from channels.wsgi import WsgiConsumer
    from legacy_site.app import app   # any WSGI callable

    channel_routing = [
        route("http.request", WsgiConsumer(app), path=r"^/legacy/"),
    ]

It is a sync consumer: each request runs in one of the worker's ``--threads``, like a
WSGI server's worker thread. The environ is built the way
:class:`~channels.request.AsgiRequest` builds ``META`` (headers, client, server, script
name; the body read from ``body``/``body_channel``), then made WSGI-exact: ``PATH_INFO``,
``SCRIPT_NAME`` and ``QUERY_STRING`` as "bytes in latin-1" strings (PEP 3333), plus the
``wsgi.*`` keys. The app's iterable is streamed back, one reply per non-empty piece, and
always closed.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable
from typing import Any

from .exceptions import RequestAborted, RequestTimeout
from .offload.replies import CHUNK_SIZE, plain_reply, send_reply, whole_replies
from .request import AsgiRequest

logger = logging.getLogger("channels.wsgi")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _wsgi_str(value: str | bytes) -> str:
    """A message string as PEP 3333 wants it: its UTF-8 bytes decoded as latin-1."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    return value.decode("latin-1")


class _Response:
    """What ``start_response`` was told, and whether the headers went out yet."""

    def __init__(self, consumer: WsgiConsumer, message: Any) -> None:
        self.consumer = consumer
        self.message = message
        self.status: int | None = None
        self.headers: list[list[bytes]] = []
        self.started = False
        self.abandoned = False

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        if exc_info is not None:
            try:
                if self.started:
                    # PEP 3333: too late to change the status; re-raise the app's error.
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise RuntimeError("start_response() called twice without exc_info")
        try:
            code = int(status.split(" ", 1)[0])
        except (AttributeError, ValueError):
            raise ValueError(f"WSGI status must look like '200 OK', got {status!r}") from None
        self.status = code
        self.headers = [
            [name.encode("latin-1").lower(), value.encode("latin-1")] for name, value in headers
        ]
        return self.write

    def write(self, data: bytes) -> None:
        """The legacy ``write()`` callable: sends ``data`` at once."""
        if data:
            self.send(data, more=True)

    def send(self, data: bytes, more: bool) -> None:
        if self.abandoned:
            return
        if self.status is None:
            raise RuntimeError("the WSGI app produced output before calling start_response()")
        for start in range(0, max(len(data), 1), CHUNK_SIZE):
            piece = data[start : start + CHUNK_SIZE]
            reply: dict[str, Any] = {
                "content": piece,
                "more_content": more or start + CHUNK_SIZE < len(data),
            }
            if not self.started:
                reply = {"status": self.status, "headers": self.headers, **reply}
                self.started = True
            if not send_reply(self.message, reply, self.consumer.send_timeout):
                self.abandoned = True
                return


class WsgiConsumer:
    """An ``http.request`` consumer that runs a WSGI application.

    Errors: a path that is not UTF-8 gets a 400; a body that does not arrive in time a 408;
    an app that raises before its response started a plain-text 500 (the error is logged);
    after that, the body ends where it broke (logged too). A full reply channel is retried
    for ``send_timeout`` seconds.
    """

    #: Seconds to keep retrying a reply whose channel stays full.
    send_timeout: float = 10.0
    #: ``wsgi.errors`` of every request.
    errors = sys.stderr

    def __init__(self, application: WsgiApp) -> None:
        if not callable(application):
            raise TypeError(
                f"WsgiConsumer needs a WSGI application (a callable taking environ and "
                f"start_response), got {application!r}"
            )
        self.application = application

    def __repr__(self) -> str:
        return f"WsgiConsumer({self.application!r})"

    def environ(self, request: AsgiRequest) -> dict[str, Any]:
        """The WSGI environ of a request built from an ``http.request`` message."""
        message = request.message
        environ = dict(request.META)
        environ["PATH_INFO"] = _wsgi_str(request.path_info)
        environ["SCRIPT_NAME"] = _wsgi_str(request.script_name.rstrip("/"))
        environ["QUERY_STRING"] = _wsgi_str(message.get("query_string") or b"")
        environ.setdefault("CONTENT_TYPE", "")
        environ.setdefault("CONTENT_LENGTH", "")
        environ.update(
            {
                "wsgi.version": (1, 0),
                "wsgi.url_scheme": str(message.get("scheme") or "http"),
                # HttpRequest has read(), readline(), readlines() and __iter__ over the body.
                "wsgi.input": request,
                "wsgi.errors": self.errors,
                "wsgi.multithread": True,
                "wsgi.multiprocess": True,
                "wsgi.run_once": False,
            }
        )
        return environ

    def __call__(self, message: Any, **kwargs: Any) -> None:
        try:
            request = AsgiRequest(message)
        except UnicodeDecodeError:
            send_reply(message, plain_reply(400, "Bad Request: the path is not UTF-8."))
            return
        except RequestTimeout:
            send_reply(message, plain_reply(408, "Request Timeout: the body arrived too slowly."))
            return
        except RequestAborted:
            return  # the client went away: nobody to answer
        try:
            self._serve(message, request)
        finally:
            request.close()

    def _serve(self, message: Any, request: AsgiRequest) -> None:
        response = _Response(self, message)
        result: Any = None
        try:
            result = self.application(self.environ(request), response.start_response)
            if isinstance(result, list | tuple) and not response.started:
                # The whole body is known: one message when it fits, no empty terminator.
                assert response.status is not None, "the WSGI app never called start_response()"
                for reply in whole_replies(response.status, response.headers, b"".join(result)):
                    if not send_reply(message, reply, self.send_timeout):
                        return
                return
            for piece in result:
                if piece:
                    response.send(piece, more=True)
                if response.abandoned:
                    return
            response.send(b"", more=False)
        except Exception:
            logger.exception("WSGI app %r failed on %s", self.application, message.get("path"))
            if not response.started:
                send_reply(message, plain_reply(500, "Internal Server Error"), self.send_timeout)
            elif not response.abandoned:
                response.send(b"", more=False)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    logger.exception("close() of the WSGI app's response failed")


__all__ = ["WsgiConsumer"]
