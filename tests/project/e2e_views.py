"""Views for the end-to-end tests (``tests/e2e``), served through the interface server and
workers in subprocesses; URLs in :mod:`tests.project.e2e_urls`."""

from __future__ import annotations

import hashlib
import os
import random
import tempfile
import time
from collections.abc import Iterator

from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from channels import Channel
from channels.asgi import channel_layers

#: Size of the file behind ``/big-file/``.
BIG_FILE_SIZE = 5 * 1024 * 1024


def big_file_bytes(size: int = BIG_FILE_SIZE) -> bytes:
    """The content of ``/big-file/``: pseudo-random, so a misplaced chunk cannot go unseen,
    and the same in every process (the test computes it too)."""
    return random.Random(5).randbytes(size)


def stream_parts(count: int) -> Iterator[bytes]:
    """The parts of ``/stream/?parts=count``, distinct so order and completeness show."""
    for index in range(count):
        yield b"part %05d %s\n" % (index, b"x" * 1000)


def page(request: HttpRequest) -> HttpResponse:
    """A rendered template."""
    return render(request, "hello.html", {"name": request.GET.get("name", "world")})


@csrf_exempt
def form(request: HttpRequest) -> JsonResponse:
    """A form POST: its fields back as JSON."""
    return JsonResponse({"method": request.method, "fields": dict(request.POST.lists())})


@csrf_exempt
def upload(request: HttpRequest) -> JsonResponse:
    """A multipart upload: each file's name, size and SHA-256, and the other fields."""
    files = {}
    for field, upload in request.FILES.items():
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        files[field] = {"name": upload.name, "size": upload.size, "sha256": digest.hexdigest()}
    return JsonResponse({"files": files, "fields": dict(request.POST.lists())})


def stream(request: HttpRequest) -> StreamingHttpResponse:
    """A streaming response (no Content-Length: chunked on the wire)."""
    return StreamingHttpResponse(
        stream_parts(int(request.GET.get("parts", "100"))), content_type="text/plain"
    )


def held_stream(request: HttpRequest) -> StreamingHttpResponse:
    """Streams ``first``, then waits (up to 15 s) for ``/release/?key=`` with the same key
    before it streams ``second``: the first part must reach the client before the view ends."""
    channel = f"e2e.release.{request.GET['key']}"

    def parts() -> Iterator[bytes]:
        yield b"first\n"
        layer = channel_layers["default"]
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            name, _ = layer.receive([channel], block=True, timeout=deadline - time.monotonic())
            if name is not None:
                yield b"second\n"
                return
        yield b"never released\n"

    return StreamingHttpResponse(parts(), content_type="text/plain")


def release(request: HttpRequest) -> HttpResponse:
    """Lets the ``/held-stream/`` with this key go on."""
    Channel(f"e2e.release.{request.GET['key']}").send({})
    return HttpResponse("released")


def big_file(request: HttpRequest) -> FileResponse:
    """A 5 MB ``FileResponse``, read from a temporary file (deleted when the response closes)."""
    # FileResponse closes it (and so deletes it) when the response is done.
    handle = tempfile.TemporaryFile()  # noqa: SIM115
    handle.write(big_file_bytes())
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename="big.bin")


def cookies(request: HttpRequest) -> HttpResponse:
    """Sets two cookies; echoes the cookies the request carried."""
    response = HttpResponse(f"cookies: {sorted(request.COOKIES.items())}")
    response.set_cookie("flavour", "oatmeal", httponly=True, samesite="Lax")
    response.set_cookie("visits", "1", max_age=3600, path="/cookies/")
    return response


def boom(request: HttpRequest) -> HttpResponse:
    """A view that fails: the client must get a 500 at once."""
    raise RuntimeError("this e2e view always fails")


def pid(request: HttpRequest) -> HttpResponse:
    """The id of the process that ran the view (which worker answered)."""
    return HttpResponse(str(os.getpid()))
