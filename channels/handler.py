"""HTTP through Django: ``http.request`` messages in, Django views run, reply messages out.

:class:`AsgiHandler` is Django's request handler (middleware, URL resolving, signals, error
pages) driven by a message instead of a socket; :class:`ViewConsumer` is the default consumer
of the ``http.request`` channel, sending what the handler yields to the request's reply
channel. :meth:`AsgiHandler.encode_response` turns any ``HttpResponse`` into reply messages,
for consumers that build responses themselves.
"""

from __future__ import annotations

import functools
import logging
import sys
import threading
import traceback
from collections.abc import Callable, Generator, Iterator
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core import signals
from django.core.handlers import base
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    HttpResponseServerError,
)
from django.urls import set_script_prefix

from .concurrency import iterate_async
from .exceptions import RequestAborted, RequestTimeout, ResponseLater
from .layers.patience import send_patiently
from .request import AsgiRequest, script_prefix

logger = logging.getLogger("channels.handler")
request_logger = logging.getLogger("django.request")

Reply = dict[str, Any]


class _AnswerLater(HttpResponse):
    """Stands in for the response of a view that raised ``ResponseLater``, so the response
    middleware still runs (sessions get saved) while the handler knows to send nothing."""


def _answer_later_aware(view: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a view so that ``ResponseLater`` becomes an :class:`_AnswerLater` response.

    Done inside ``make_view_atomic`` so that, with ``ATOMIC_REQUESTS``, what the view saved
    before handing its reply channel on is committed, not rolled back.
    """

    def answer_later(request: HttpRequest) -> HttpResponse:
        request._channels_response_later = True
        return _AnswerLater()

    if iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            try:
                return await view(request, *args, **kwargs)
            except ResponseLater:
                return answer_later(request)

        return async_wrapper

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return view(request, *args, **kwargs)
        except ResponseLater:
            return answer_later(request)

    return wrapper


class AsgiHandler(base.BaseHandler):
    """Django's request handler for ``http.request`` messages.

    Middleware is loaded once, when the handler is made; make one per consumer and reuse it.
    Calling it with a message returns a generator of reply dicts (``docs/message-spec.rst``)
    to send, in order, on the message's reply channel:

    - a request whose path or query string is not UTF-8 gets a 400; a body that does not
      arrive within ``AsgiRequest.body_receive_timeout`` gets a 408; a body the client
      abandoned (a ``closed`` chunk) gets nothing, as there is nobody to answer;
    - a view that raises :class:`~channels.exceptions.ResponseLater` gets nothing: another
      consumer answers on ``request.reply_channel``;
    - if Django's own error handling fails, a plain-text 500 (with the traceback under
      ``DEBUG``).

    ``request_started`` is sent before the request is built and ``request_finished`` when the
    response has been encoded (or the generator is closed early).
    """

    request_class: type[AsgiRequest] = AsgiRequest
    #: Largest ``content`` of one reply message; each fits in a layer's 1 MiB message limit.
    chunk_size = 512 * 1024

    def __init__(self) -> None:
        super().__init__()
        self.load_middleware()

    def __call__(self, message: Any) -> Generator[Reply, None, None]:
        set_script_prefix(script_prefix(message))
        signals.request_started.send(sender=self.__class__, message=message)
        request: AsgiRequest | None = None
        try:
            request = self.request_class(message)
        except UnicodeDecodeError:
            request_logger.warning(
                "Bad Request (UnicodeDecodeError)",
                exc_info=sys.exc_info(),
                extra={"status_code": 400},
            )
            response = HttpResponseBadRequest()
        except KeyError as exc:
            request_logger.error(
                "Bad Request: the http.request message has no %s key; is the interface "
                "server sending the message format of docs/message-spec.rst?",
                exc,
                extra={"status_code": 400},
            )
            response = HttpResponseBadRequest()
        except RequestTimeout:
            response = HttpResponse("408 Request Timeout (upload too slow)", status=408)
        except RequestAborted:
            signals.request_finished.send(sender=self.__class__)
            return
        except BaseException:
            signals.request_finished.send(sender=self.__class__)
            raise
        else:
            response = self.get_response_or_error(request)
        response._handler_class = self.__class__
        try:
            if request is not None and getattr(request, "_channels_response_later", False):
                return
            if request is not None and request.method == "HEAD":
                # Headers as for GET (Content-Length included), but never a body.
                yield {
                    "status": response.status_code,
                    "headers": self.encode_headers(response),
                    "content": b"",
                    "more_content": False,
                }
                return
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
            yield from self.encode_response(response)
        finally:
            # Sends request_finished and closes the request, files and iterators.
            response.close()

    def get_response_or_error(self, request: AsgiRequest) -> HttpResponseBase:
        """Run ``get_response``; anything that escapes Django's error handling is a 500."""
        try:
            return self.get_response(request)
        except ResponseLater:
            # Only reaches here past DEBUG_PROPAGATE_EXCEPTIONS; still means "answer later".
            request._channels_response_later = True
            return _AnswerLater()
        except Exception:
            request_logger.exception(
                "Internal Server Error: %s (Django's error handling failed)", request.path
            )
            response = HttpResponseServerError(
                traceback.format_exc() if settings.DEBUG else "Internal Server Error",
                content_type="text/plain",
            )
            response._resource_closers.append(request.close)
            return response

    def make_view_atomic(self, view: Callable[..., Any]) -> Callable[..., Any]:
        return super().make_view_atomic(_answer_later_aware(view))

    def process_exception_by_middleware(
        self, exception: Exception, request: HttpRequest
    ) -> HttpResponseBase | None:
        # ResponseLater from template rendering is not an error for process_exception hooks.
        if isinstance(exception, ResponseLater):
            request._channels_response_later = True
            return _AnswerLater()
        return super().process_exception_by_middleware(exception, request)

    @classmethod
    def encode_response(cls, response: HttpResponseBase) -> Iterator[Reply]:
        """Turn a Django response into reply messages.

        The first message has ``status`` and ``headers`` (``(name, value)`` bytes, header
        case as Django set it, one ``Set-Cookie`` per cookie); ``content`` is sent in pieces
        of at most ``chunk_size`` bytes, every message but the last with
        ``more_content=True``. Streaming responses (sync or async iterators, ``FileResponse``)
        are read one part at a time, never whole into memory. Closing the response is the
        caller's job (``response.close()`` sends ``request_finished``).
        """
        first: Reply = {"status": response.status_code, "headers": cls.encode_headers(response)}
        if not response.streaming:
            for chunk, last in cls.chunk_bytes(response.content):
                yield {**first, "content": chunk, "more_content": not last}
                first = {}
            return
        streaming_content: Any = response.streaming_content
        parts = (
            iterate_async(streaming_content)
            if getattr(response, "is_async", False)
            else iter(streaming_content)
        )
        try:
            for part in parts:
                for chunk, _ in cls.chunk_bytes(part):
                    if not chunk:
                        continue
                    yield {**first, "content": chunk, "more_content": True}
                    first = {}
        finally:
            close = getattr(parts, "close", None)
            if close is not None:
                close()
        yield {**first, "content": b"", "more_content": False}

    @staticmethod
    def encode_headers(response: HttpResponseBase) -> list[tuple[bytes, bytes]]:
        """The response's headers as ``(name, value)`` byte pairs, cookies included.

        As in channels 1.x: 2-tuples (lists once through a layer), and each cookie as
        ``(b"Set-Cookie", morsel.output(header="").encode())``, leading space included.
        """
        headers = []
        for name, value in response.items():
            headers.append(
                (
                    name.encode("ascii") if isinstance(name, str) else bytes(name),
                    value.encode("latin-1") if isinstance(value, str) else bytes(value),
                )
            )
        for cookie in response.cookies.values():
            headers.append((b"Set-Cookie", cookie.output(header="").encode()))
        return headers

    @classmethod
    def chunk_bytes(cls, data: bytes) -> Iterator[tuple[bytes, bool]]:
        """Yield ``(chunk, is_last)`` pieces of ``data`` of at most ``chunk_size`` bytes;
        empty data yields ``(data, True)`` once."""
        if not data:
            yield data, True
            return
        for start in range(0, len(data), cls.chunk_size):
            yield data[start : start + cls.chunk_size], start + cls.chunk_size >= len(data)


class ViewConsumer:
    """The default ``http.request`` consumer: runs the request through Django's views.

    Each instance makes one :class:`AsgiHandler` (``handler_class``) the first time it is
    called, safely when several worker threads call it at once. Replies are sent at once
    (``immediately=True``) so a streamed response reaches the client while it is produced; a
    full reply channel is retried with a short backoff for up to ``send_timeout`` seconds,
    after which the response is abandoned and an error logged.
    """

    handler_class: type[AsgiHandler] = AsgiHandler
    #: Seconds to keep retrying a reply whose channel stays full.
    send_timeout: float = 10.0

    def __init__(self) -> None:
        self._handler: AsgiHandler | None = None
        self._handler_lock = threading.Lock()

    @property
    def handler(self) -> AsgiHandler:
        """This consumer's handler, made on first use."""
        if self._handler is None:
            with self._handler_lock:
                if self._handler is None:
                    self._handler = self.handler_class()
        return self._handler

    def __call__(self, message: Any, **kwargs: Any) -> None:
        replies = self.handler(message)
        try:
            for reply in replies:
                if not self.send_reply(message, reply):
                    return
        finally:
            replies.close()

    def send_reply(self, message: Any, reply: Reply) -> bool:
        """Send one reply, retrying while the reply channel is full; False if it gave up."""
        send = functools.partial(message.reply_channel.send, immediately=True)
        if send_patiently(send, reply, patience=self.send_timeout):
            return True
        logger.error(
            "Reply channel %r stayed full for %s seconds; abandoning the response "
            "to %r. Is the interface server reading its replies?",
            getattr(message.reply_channel, "name", message.reply_channel),
            self.send_timeout,
            message.get("path"),
        )
        return False


__all__ = ["AsgiHandler", "AsgiRequest", "ViewConsumer"]
