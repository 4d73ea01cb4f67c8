"""``deny()`` on the four WebSocket consumers, through ``WebsocketCommunicator``: with the
denial response extension in the scope (as under ``runserver``) and without it (as under
the ``daphne`` command, where it falls back to ``close()``)."""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.urls import path

from channels.generic.denial import denial_events
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from tests.channels4.denial_consumers import (
    BODY,
    AsyncJsonLocked,
    AsyncLocked,
    JsonLocked,
    SyncLocked,
)

application = URLRouter(
    [
        path("async/", AsyncLocked.as_asgi()),
        path("sync/", SyncLocked.as_asgi()),
        path("async-json/", AsyncJsonLocked.as_asgi()),
        path("json/", JsonLocked.as_asgi()),
    ]
)
KINDS = ["async", "sync", "async-json", "json"]


@pytest.mark.parametrize("kind", KINDS)
async def test_deny_sends_its_status_headers_and_utf8_text_body(kind: str) -> None:
    communicator = WebsocketCommunicator(application, f"/{kind}/", denial_response=True)
    assert await communicator.connect() == (False, 401)
    denial = communicator.denial
    assert denial is not None and denial.status == 401
    assert denial.header("WWW-Authenticate") == b'Bearer realm="chat"'
    assert denial.header("content-type") == b"text/plain; charset=utf-8"
    assert denial.body == BODY.encode("utf-8")
    assert denial.header("content-length") == str(len(denial.body)).encode()
    await communicator.disconnect()


@pytest.mark.parametrize("kind", KINDS)
async def test_without_the_extension_deny_closes_and_says_why_at_debug(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    communicator = WebsocketCommunicator(application, f"/{kind}/")
    with caplog.at_level(logging.DEBUG, logger="channels.generic"):
        assert await communicator.connect() == (False, 1000)
    assert communicator.denial is None
    said = [record.getMessage() for record in caplog.records if record.name == "channels.generic"]
    assert len(said) == 1, said
    assert f"deny(401) on /{kind}/" in said[0] and "HTTP 403" in said[0]
    await communicator.disconnect()


@pytest.mark.parametrize(
    ("kind", "query"),
    [("async", "close"), ("async", "raise"), ("sync", "close"), ("sync", "raise")],
)
async def test_close_and_deny_connection_still_refuse_with_a_close(kind: str, query: str) -> None:
    communicator = WebsocketCommunicator(application, f"/{kind}/?{query}", denial_response=True)
    assert await communicator.connect() == (False, 1000)
    assert communicator.denial is None
    await communicator.disconnect()


@pytest.mark.parametrize("kind", KINDS)
async def test_deny_after_accept_is_an_error_that_names_close(kind: str) -> None:
    communicator = WebsocketCommunicator(application, f"/{kind}/?open", denial_response=True)
    assert await communicator.connect() == (True, None)
    await communicator.send_json_to({"deny": "now"})
    reply = await communicator.receive_from()
    error = json.loads(reply)["error"] if "json" in kind else reply
    assert "already accepted; use close() to end an open socket" in error
    await communicator.disconnect()


def test_denial_events_encode_headers_and_keep_given_ones() -> None:
    start, body = denial_events(
        404, b"\x00gone", [("Content-Type", "application/octet-stream"), (b"x-a", b"1")]
    )
    assert start == {
        "type": "websocket.http.response.start",
        "status": 404,
        "headers": [
            (b"content-type", b"application/octet-stream"),
            (b"x-a", b"1"),
            (b"content-length", b"5"),
        ],
    }
    assert body == {"type": "websocket.http.response.body", "body": b"\x00gone"}
    # A bytes body gets no content type of its own.
    assert denial_events(403, b"", None)[0]["headers"] == [(b"content-length", b"0")]


@pytest.mark.parametrize(
    ("arguments", "error", "words"),
    [
        ((99, b"", None), ValueError, "status from 100 to 599, got 99"),
        (("401", b"", None), ValueError, "got '401'"),
        ((True, b"", None), ValueError, "got True"),
        ((401, 7, None), TypeError, "body must be str or bytes, got int"),
        ((401, b"", [("x", 1)]), TypeError, "header value must be str or bytes, got 1"),
    ],
)
def test_denial_events_refuse_bad_arguments(arguments: tuple, error: type, words: str) -> None:
    with pytest.raises(error, match=re.escape(words)):
        denial_events(*arguments)


async def test_the_communicator_refuses_a_denial_the_scope_did_not_allow() -> None:
    async def app(scope, receive, send):
        await receive()
        await send({"type": "websocket.http.response.start", "status": 401, "headers": []})

    communicator = WebsocketCommunicator(app, "/")
    with pytest.raises(AssertionError, match=r"does not list the websocket\.http\.response"):
        await communicator.connect()
