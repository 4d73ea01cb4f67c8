"""Fixtures for the HTTP handler tests: Django settings, a real in-memory layer, and helpers
that play the interface server (send an ``http.request`` message, read the reply channel).

The tests run on the project's test settings (``tests.project.settings``) when they exist;
until then this file configures a minimal Django itself. Either way, every test here runs
with this package's URLconf, middleware, templates and static files (see ``handler_settings``).
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import django
import pytest
from django.conf import settings
from django.test.utils import override_settings

HERE = Path(__file__).resolve().parent


def _project_settings_exist() -> bool:
    try:
        return importlib.util.find_spec("tests.project.settings") is not None
    except ModuleNotFoundError:
        return False


if not settings.configured and not _project_settings_exist():
    settings.configure(
        SECRET_KEY="handler-tests-only",
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
        DATABASES={},
        USE_TZ=True,
        ROOT_URLCONF="tests.handler.urls",
    )
    django.setup()

from channels.layers import InMemoryChannelLayer  # noqa: E402 (needs settings first)
from channels.message import Message  # noqa: E402

from . import views  # noqa: E402

#: Where the tests' fake interface server reads replies: one process-specific prefix.
REPLY_PREFIX = "http.response.test!"


@pytest.fixture(autouse=True)
def handler_settings() -> Iterator[None]:
    """The same Django set-up for every test here, whoever provides the base settings."""
    with override_settings(
        ROOT_URLCONF="tests.handler.urls",
        DEBUG=False,
        DEBUG_PROPAGATE_EXCEPTIONS=False,
        FORCE_SCRIPT_NAME=None,
        ALLOWED_HOSTS=["example.com", "testserver"],
        MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [str(HERE / "templates")],
                "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
            }
        ],
        STATIC_URL="/static/",
        STATICFILES_DIRS=[str(HERE / "static")],
        FILE_UPLOAD_MAX_MEMORY_SIZE=2_621_440,
        DATA_UPLOAD_MAX_MEMORY_SIZE=2_621_440,
    ):
        views.seen.clear()
        yield
        views.seen.clear()


@pytest.fixture
def layer() -> Iterator[InMemoryChannelLayer]:
    """A real in-memory channel layer, closed after the test."""
    channel_layer = InMemoryChannelLayer()
    yield channel_layer
    channel_layer.close()


def make_message(layer: InMemoryChannelLayer, **content: Any) -> Message:
    """An ``http.request`` Message as the interface server would send it
    (``docs/message-spec.rst``)."""
    content.setdefault("reply_channel", layer.new_channel(REPLY_PREFIX))
    content.setdefault("http_version", "1.1")
    content.setdefault("method", "GET")
    content.setdefault("scheme", "http")
    content.setdefault("path", "/")
    content.setdefault("query_string", b"")
    content.setdefault("root_path", "")
    content.setdefault("headers", [[b"host", b"example.com"]])
    content.setdefault("body", b"")
    content.setdefault("client", ["192.0.2.7", 51234])
    content.setdefault("server", ["example.com", 80])
    return Message(content, "http.request", layer)


def read_replies(
    layer: InMemoryChannelLayer, message: Message, timeout: float = 10.0
) -> list[dict[str, Any]]:
    """Every reply on the message's reply channel up to the one without ``more_content``."""
    replies: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"the reply was incomplete after {timeout} s: {replies!r}"
        channel, reply = layer.receive([REPLY_PREFIX], block=True, timeout=remaining)
        if channel is None:
            continue
        assert channel == message["reply_channel"]
        replies.append(reply)
        if not reply.get("more_content"):
            return replies


def nothing_pending(layer: InMemoryChannelLayer) -> bool:
    """True when no reply at all is waiting for the fake interface server."""
    return layer.receive([REPLY_PREFIX]) == (None, None)


def body_of(replies: list[dict[str, Any]]) -> bytes:
    """The response body, joined from every reply's ``content``."""
    return b"".join(reply.get("content", b"") for reply in replies)


def header_values(reply: dict[str, Any], name: bytes) -> list[bytes]:
    """Every value of header ``name`` (any case) in a first reply."""
    return [value for key, value in reply["headers"] if key.lower() == name.lower()]
