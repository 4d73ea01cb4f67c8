"""Views the handler tests call through real Django URL resolving."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

from django.conf import settings
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from channels.exceptions import ResponseLater

#: What views recorded for the test to look at (cleared by the conftest fixture).
seen: dict[str, Any] = {}


def echo(request: HttpRequest) -> JsonResponse:
    meta_keys = (
        "REQUEST_METHOD",
        "QUERY_STRING",
        "SCRIPT_NAME",
        "PATH_INFO",
        "REMOTE_ADDR",
        "REMOTE_HOST",
        "REMOTE_PORT",
        "SERVER_NAME",
        "SERVER_PORT",
        "CONTENT_TYPE",
        "CONTENT_LENGTH",
        "HTTP_X_REPEATED",
        "HTTP_X_SPOOFED",
        "HTTP_USER_AGENT",
    )
    data: dict[str, Any] = {
        "method": request.method,
        "path": request.path,
        "path_info": request.path_info,
        "GET": {key: request.GET.getlist(key) for key in request.GET},
        "COOKIES": request.COOKIES,
        "META": {key: request.META[key] for key in meta_keys if key in request.META},
        "is_secure": request.is_secure(),
        "reply_channel": request.reply_channel.name,  # type: ignore[attr-defined]
        "message_path": request.message["path"],  # type: ignore[attr-defined]
    }
    if "HTTP_HOST" in request.META:
        data["absolute_uri"] = request.build_absolute_uri()
    return JsonResponse(data)


def form(request: HttpRequest) -> JsonResponse:
    return JsonResponse({key: request.POST.getlist(key) for key in request.POST})


def upload(request: HttpRequest) -> JsonResponse:
    uploaded = request.FILES["document"]
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    return JsonResponse(
        {
            "name": uploaded.name,
            "size": uploaded.size,
            "sha256": digest.hexdigest(),
            "on_disk": hasattr(uploaded, "temporary_file_path"),
            "title": request.POST.get("title"),
        }
    )


def body_digest(request: HttpRequest) -> JsonResponse:
    # Read in pieces, as a view handling a big upload would, rather than request.body.
    digest = hashlib.sha256()
    size = 0
    while piece := request.read(64 * 1024):
        digest.update(piece)
        size += len(piece)
    return JsonResponse({"size": size, "sha256": digest.hexdigest()})


def hello_template(request: HttpRequest) -> TemplateResponse:
    return TemplateResponse(request, "handler/hello.html", {"name": "Ada"})


def go_elsewhere(request: HttpRequest) -> HttpResponseRedirect:
    return redirect("target")


def target(request: HttpRequest) -> HttpResponse:
    return HttpResponse("you arrived")


def set_cookies(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("cookies set")
    response.set_cookie("flavour", "oat")
    response.set_cookie("session_hint", "abc", httponly=True, samesite="Lax")
    return response


def stream(request: HttpRequest) -> StreamingHttpResponse:
    def parts() -> Iterator[bytes]:
        yield b"first,"
        yield b""
        yield b"second,"
        yield b"third"

    return StreamingHttpResponse(parts(), content_type="text/plain")


def stream_async(request: HttpRequest) -> StreamingHttpResponse:
    size = int(request.GET.get("size", "3"))

    async def parts() -> AsyncIterator[bytes]:
        for index in range(3):
            # A real await: the iterator must run on a working event loop.
            await asyncio.sleep(0)
            yield bytes([ord("a") + index]) * size

    return StreamingHttpResponse(parts(), content_type="text/plain")


def big_file(request: HttpRequest) -> FileResponse:
    handle = open(settings.HANDLER_TEST_BIG_FILE, "rb")  # noqa: SIM115 (FileResponse closes it)
    seen["big_file_handle"] = handle
    return FileResponse(handle, as_attachment=True, filename="big.bin")


def boom(request: HttpRequest) -> HttpResponse:
    raise ValueError("the view failed on purpose")


def later(request: HttpRequest) -> HttpResponse:
    seen["later_reply_channel"] = request.reply_channel.name  # type: ignore[attr-defined]
    raise ResponseLater()


async def async_hello(request: HttpRequest) -> HttpResponse:
    await asyncio.sleep(0)
    return HttpResponse("hello from an async view")


def broken_server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise RuntimeError("the 500 handler failed too")


def static_fallback(request: HttpRequest, name: str) -> HttpResponse:
    return HttpResponse(json.dumps({"served_by": "view", "name": name}))


async def later_async(request: HttpRequest) -> HttpResponse:
    await asyncio.sleep(0)
    seen["later_reply_channel"] = request.reply_channel.name  # type: ignore[attr-defined]
    raise ResponseLater()
