"""``AsgiRequest``: a Django ``HttpRequest`` built from an ``http.request`` message.

The message format is in ``docs/message-spec.rst``. The body arrives inline in
``body`` and, when it did not fit one message, as ``http.request.body`` chunks on
``body_channel``; it is gathered into a spooled temporary file (in memory up to
``FILE_UPLOAD_MAX_MEMORY_SIZE``, on disk past it), so a large upload is never held twice in
memory. ``POST``, ``FILES`` and ``body`` are then Django's own, read lazily from that file, with
``DATA_UPLOAD_MAX_MEMORY_SIZE`` and the upload handlers applied as Django applies them.
"""

from __future__ import annotations

import io
import tempfile
import time
import weakref
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import IO, Any

from django.conf import settings
from django.http import HttpRequest, QueryDict, parse_cookie
from django.utils.datastructures import MultiValueDict
from django.utils.functional import cached_property

from .exceptions import RequestAborted, RequestTimeout, ResponseLater


def script_prefix(message: Mapping[str, Any]) -> str:
    """The script prefix (WSGI ``SCRIPT_NAME``) of a request: ``FORCE_SCRIPT_NAME`` if set,
    else the message's ``root_path``."""
    if settings.FORCE_SCRIPT_NAME:
        return str(settings.FORCE_SCRIPT_NAME)
    return _text(message.get("root_path") or "")


def _text(value: str | bytes) -> str:
    """A path-like message value as str; bytes must be UTF-8 (else ``UnicodeDecodeError``)."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value


def header_list(headers: Any) -> list[tuple[bytes, bytes]]:
    """Normalise message headers to ``[(name, value), ...]`` as latin-1 bytes.

    Accepts the list form (``[[name, value], ...]``) and the legacy dict form
    (``{name: value}``); names and values may be str or bytes.
    """
    if headers is None:
        return []
    items: Iterable[Any] = headers.items() if isinstance(headers, Mapping) else headers
    normalised = []
    for item in items:
        name, value = item
        if isinstance(name, str):
            name = name.encode("latin-1")
        if isinstance(value, str):
            value = value.encode("latin-1")
        normalised.append((bytes(name), bytes(value)))
    return normalised


class AsgiRequest(HttpRequest):
    """A Django request made from an ``http.request`` message.

    Besides the usual ``HttpRequest`` API it has ``message`` (the message it came from) and
    ``reply_channel`` (where the response goes; hand it to another consumer and raise
    :class:`~channels.exceptions.ResponseLater` to answer from there).

    Building one reads the whole body: on ``body_channel`` it waits for chunks until one says
    the body is complete, raising :class:`~channels.exceptions.RequestTimeout` when that takes
    longer than ``body_receive_timeout`` seconds and
    :class:`~channels.exceptions.RequestAborted` when a chunk says the client went away.
    ``UnicodeDecodeError`` means the path or query string is not UTF-8 (a 400).
    """

    #: Raised in a view to say another consumer will answer (kept here as in 1.x).
    ResponseLater = ResponseLater

    #: Seconds to wait, in total, for the chunks of a body sent on ``body_channel``.
    body_receive_timeout: float = 60

    def __init__(self, message: Any) -> None:
        # HttpRequest.__init__ is not called: it would set GET/POST/FILES/COOKIES as plain
        # attributes, and here they are parsed lazily from the message and the body.
        self.message = message
        self.reply_channel = getattr(message, "reply_channel", None)
        self._post_parse_error = False
        self._read_started = False
        self.resolver_match = None

        self.script_name = script_prefix(message)
        path = _text(message["path"])
        root = self.script_name.rstrip("/")
        if root and (path == root or path.startswith(root + "/")):
            self.path_info = path[len(root) :] or "/"
        else:
            self.path_info = path or "/"
        # Django builds links and redirects from request.path, so it always carries the prefix.
        self.path = root + self.path_info
        self.method = str(message["method"]).upper()

        query_string = message.get("query_string") or b""
        if isinstance(query_string, bytes):
            query_string = query_string.decode("utf-8")
        self.META: dict[str, Any] = {
            "REQUEST_METHOD": self.method,
            "QUERY_STRING": query_string,
            "SCRIPT_NAME": self.script_name,
            "PATH_INFO": self.path_info,
            "SERVER_PROTOCOL": "HTTP/" + str(message.get("http_version") or "1.1"),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
        }
        client = message.get("client")
        if client:
            self.META["REMOTE_ADDR"] = client[0]
            self.META["REMOTE_HOST"] = client[0]
            self.META["REMOTE_PORT"] = int(client[1])
        server = message.get("server")
        if server:
            self.META["SERVER_NAME"] = server[0]
            self.META["SERVER_PORT"] = str(server[1])
        else:
            self.META["SERVER_NAME"] = "unknown"
            self.META["SERVER_PORT"] = "0"
        self.META.update(self._header_meta(header_list(message.get("headers"))))
        self._set_content_type_params(self.META)

        self._stream: IO[bytes] = self._receive_body(message)
        if "CONTENT_LENGTH" not in self.META:
            # A body sent without Content-Length (chunked transfer) would otherwise be invisible
            # to Django's parsers, which read exactly CONTENT_LENGTH bytes.
            size = self._stream.seek(0, 2)
            self._stream.seek(0)
            if size:
                self.META["CONTENT_LENGTH"] = str(size)

    @staticmethod
    def _header_meta(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
        joined: defaultdict[str, list[str]] = defaultdict(list)
        for raw_name, raw_value in headers:
            name = raw_name.decode("latin-1").lower()
            # "X_Forwarded_For" and "X-Forwarded-For" would both become HTTP_X_FORWARDED_FOR;
            # drop the underscore spelling so it cannot spoof the real header (as Django does).
            if "_" in name:
                continue
            if name == "content-length":
                key = "CONTENT_LENGTH"
            elif name == "content-type":
                key = "CONTENT_TYPE"
            else:
                key = "HTTP_" + name.upper().replace("-", "_")
            joined[key].append(raw_value.decode("latin-1"))
        return {key: ",".join(values) for key, values in joined.items()}

    def _receive_body(self, message: Any) -> IO[bytes]:
        """The body as a file: the inline part as is, or spooled with ``body_channel``'s chunks."""
        inline = message.get("body") or b""
        body_channel = message.get("body_channel")
        if not body_channel:
            # BytesIO shares the bytes' buffer until written to: no copy of the body.
            return io.BytesIO(inline)
        body = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
        try:
            body.write(inline)
            self._receive_chunks(message, body_channel, body)
            body.seek(0)
        except BaseException:
            body.close()
            raise
        # Code that builds a request and never closes it (the seeds' consumers do) must not
        # leave temporary files behind or trigger ResourceWarnings.
        weakref.finalize(self, body.close)
        return body

    def _receive_chunks(self, message: Any, body_channel: str, body: IO[bytes]) -> None:
        layer = getattr(message, "channel_layer", None)
        if layer is None:
            raise ValueError(
                f"the http.request message has body_channel {body_channel!r} but no "
                "channel_layer to receive it from; build AsgiRequest from a channels Message"
            )
        deadline = time.monotonic() + self.body_receive_timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RequestTimeout(
                    f"the request body on {body_channel!r} did not arrive within "
                    f"{self.body_receive_timeout} seconds"
                )
            channel, chunk = layer.receive([body_channel], block=True, timeout=remaining)
            if channel is None:
                continue
            if chunk.get("closed"):
                raise RequestAborted(f"the client went away while sending {body_channel!r}")
            body.write(chunk.get("content") or b"")
            if not chunk.get("more_content"):
                return

    @cached_property
    def GET(self) -> QueryDict:
        return QueryDict(self.META["QUERY_STRING"])

    def _get_scheme(self) -> str:
        return str(self.message.get("scheme") or "http")

    def _get_post(self) -> QueryDict:
        if not hasattr(self, "_post"):
            self._load_post_and_files()
        return self._post

    def _set_post(self, post: QueryDict) -> None:
        self._post = post

    def _get_files(self) -> MultiValueDict:
        if not hasattr(self, "_files"):
            self._load_post_and_files()
        return self._files

    POST = property(_get_post, _set_post)
    FILES = property(_get_files)

    @cached_property
    def COOKIES(self) -> dict[str, str]:
        return parse_cookie(self.META.get("HTTP_COOKIE", ""))

    def close(self) -> None:
        """Close uploaded files and the spooled body."""
        super().close()
        self._stream.close()


__all__ = ["AsgiRequest", "header_list", "script_prefix"]
