"""AsgiHandler and ViewConsumer: http.request messages through Django's views and back."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from typing import Any
from urllib.parse import urlencode

from django.core.signals import got_request_exception, request_finished, request_started
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.test.utils import override_settings

from channels.handler import AsgiHandler, AsgiRequest, ViewConsumer
from channels.layers import InMemoryChannelLayer

from . import views
from .conftest import body_of, header_values, make_message, nothing_pending, read_replies

CHUNK = 512 * 1024


def serve(layer: InMemoryChannelLayer, consumer: ViewConsumer | None = None, **content: Any):
    """Send one request through a ViewConsumer and return the replies it sent."""
    message = make_message(layer, **content)
    (consumer or ViewConsumer())(message)
    return read_replies(layer, message)


def test_get_reaches_the_view_with_query_cookies_headers_client_and_server(layer):
    replies = serve(
        layer,
        path="/echo/",
        query_string=b"q=channels&q=django",
        headers=[
            [b"host", b"example.com"],
            [b"cookie", b"flavour=oat"],
            [b"x-repeated", b"a"],
            [b"x-repeated", b"b"],
        ],
        client=["192.0.2.7", 51234],
        server=["example.com", 443],
        scheme="https",
    )
    assert len(replies) == 1
    assert replies[0]["status"] == 200
    assert replies[0]["more_content"] is False
    assert header_values(replies[0], b"content-type") == [b"application/json"]
    data = json.loads(body_of(replies))
    assert data["GET"] == {"q": ["channels", "django"]}
    assert data["COOKIES"] == {"flavour": "oat"}
    assert data["META"]["HTTP_X_REPEATED"] == "a,b"
    assert data["META"]["REMOTE_ADDR"] == "192.0.2.7"
    assert data["META"]["REMOTE_PORT"] == 51234
    assert data["META"]["SERVER_PORT"] == "443"
    assert data["is_secure"] is True
    assert data["absolute_uri"] == "https://example.com/echo/?q=channels&q=django"
    assert data["reply_channel"].startswith("http.response.test!")
    assert data["message_path"] == "/echo/"


def test_root_path_sets_script_name_and_prefixes_reversed_urls(layer):
    replies = serve(layer, path="/mounted/go/", root_path="/mounted")
    assert replies[0]["status"] == 302
    assert header_values(replies[0], b"location") == [b"/mounted/target/"]
    echo = json.loads(body_of(serve(layer, path="/mounted/echo/", root_path="/mounted")))
    assert echo["META"]["SCRIPT_NAME"] == "/mounted"
    assert echo["path_info"] == "/echo/"
    assert echo["path"] == "/mounted/echo/"


def test_urlencoded_post_form_is_parsed(layer):
    body = urlencode({"name": "Ada", "tags": ["a", "b"]}, doseq=True).encode()
    for headers in (
        [
            [b"content-type", b"application/x-www-form-urlencoded"],
            [b"content-length", str(len(body)).encode()],
        ],
        # Sent chunked, without Content-Length: still parsed.
        [[b"content-type", b"application/x-www-form-urlencoded"]],
    ):
        replies = serve(layer, method="POST", path="/form/", body=body, headers=headers)
        assert replies[0]["status"] == 200
        assert json.loads(body_of(replies)) == {"name": ["Ada"], "tags": ["a", "b"]}


def _send_in_chunks(layer: InMemoryChannelLayer, channel: str, data: bytes, size: int) -> None:
    pieces = [data[start : start + size] for start in range(0, len(data), size)]
    for index, piece in enumerate(pieces):
        layer.send(channel, {"content": piece, "more_content": index < len(pieces) - 1})


def test_multipart_upload_larger_than_memory_limit_arrives_in_body_chunks(layer):
    document = os.urandom(3 * 1024 * 1024)

    class Upload:
        name = "report.bin"

        def __init__(self) -> None:
            self.data = document

        def read(self) -> bytes:
            return self.data

    body = encode_multipart(BOUNDARY, {"title": "Quarterly", "document": Upload()})
    body_channel = layer.new_channel("http.request.body?")
    inline, rest = body[:100_000], body[100_000:]
    sender = threading.Thread(target=_send_in_chunks, args=(layer, body_channel, rest, 400_000))
    sender.start()
    replies = serve(
        layer,
        method="POST",
        path="/upload/",
        body=inline,
        body_channel=body_channel,
        headers=[
            [b"content-type", MULTIPART_CONTENT.encode()],
            [b"content-length", str(len(body)).encode()],
        ],
    )
    sender.join(timeout=10)
    assert replies[0]["status"] == 200, body_of(replies)
    data = json.loads(body_of(replies))
    assert data == {
        "name": "report.bin",
        "size": len(document),
        "sha256": hashlib.sha256(document).hexdigest(),
        "on_disk": True,
        "title": "Quarterly",
    }


def test_five_megabyte_body_arrives_whole_through_body_channel(layer):
    payload = os.urandom(5 * 1024 * 1024)
    body_channel = layer.new_channel("http.request.body?")
    sender = threading.Thread(
        target=_send_in_chunks, args=(layer, body_channel, payload[1000:], 500_000)
    )
    sender.start()
    replies = serve(
        layer,
        method="PUT",
        path="/digest/",
        body=payload[:1000],
        body_channel=body_channel,
        headers=[[b"content-length", str(len(payload)).encode()]],
    )
    sender.join(timeout=10)
    assert json.loads(body_of(replies)) == {
        "size": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(),
    }


def test_body_bigger_than_data_upload_max_memory_size_is_a_400(layer):
    body = urlencode({"big": "x" * 5000}).encode()
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000):
        replies = serve(
            layer,
            method="POST",
            path="/form/",
            body=body,
            headers=[[b"content-type", b"application/x-www-form-urlencoded"]],
        )
    assert replies[0]["status"] == 400


class QuickRequest(AsgiRequest):
    body_receive_timeout = 0.2


class QuickHandler(AsgiHandler):
    request_class = QuickRequest


class QuickConsumer(ViewConsumer):
    handler_class = QuickHandler


def test_body_that_does_not_arrive_in_time_gets_408(layer):
    body_channel = layer.new_channel("http.request.body?")
    layer.send(body_channel, {"content": b"a slow upload", "more_content": True})
    replies = serve(
        layer, QuickConsumer(), method="POST", path="/digest/", body_channel=body_channel
    )
    assert replies[0]["status"] == 408
    assert body_of(replies) == b"408 Request Timeout (upload too slow)"


def test_client_that_went_away_mid_body_gets_no_reply_and_signals_pair_up(layer):
    body_channel = layer.new_channel("http.request.body?")
    layer.send(body_channel, {"content": b"half", "more_content": True})
    layer.send(body_channel, {"closed": True})
    events: list[str] = []

    def started(**kwargs: Any) -> None:
        events.append("started")

    def finished(**kwargs: Any) -> None:
        events.append("finished")

    request_started.connect(started)
    request_finished.connect(finished)
    try:
        ViewConsumer()(
            make_message(layer, method="POST", path="/digest/", body_channel=body_channel)
        )
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)
    assert nothing_pending(layer)
    assert events == ["started", "finished"]


def test_undecodable_path_or_query_string_gets_400(layer):
    assert serve(layer, path=b"/caf\xe9/")[0]["status"] == 400
    assert serve(layer, path="/echo/", query_string=b"q=\xff")[0]["status"] == 400


def test_template_response_is_rendered(layer):
    replies = serve(layer, path="/template/")
    assert replies[0]["status"] == 200
    assert body_of(replies) == b"<p>Hello, Ada! You asked for /template/.</p>\n"


def test_async_view_runs(layer):
    assert body_of(serve(layer, path="/async/")) == b"hello from an async view"


def test_redirect_sends_location(layer):
    replies = serve(layer, path="/go/")
    assert replies[0]["status"] == 302
    assert header_values(replies[0], b"location") == [b"/target/"]


def test_missing_trailing_slash_redirects_through_common_middleware(layer):
    replies = serve(layer, path="/target")
    assert replies[0]["status"] == 301
    assert header_values(replies[0], b"location") == [b"/target/"]


def test_each_cookie_set_becomes_its_own_set_cookie_header(layer):
    replies = serve(layer, path="/cookies/")
    cookies = header_values(replies[0], b"set-cookie")
    assert len(cookies) == 2
    # Each the Morsel's output(header=""), leading space included, as in channels 1.x.
    assert cookies[0].startswith(b" flavour=oat;")
    assert cookies[1].startswith(b" session_hint=abc;")
    assert b"HttpOnly" in cookies[1] and b"SameSite=Lax" in cookies[1]
    # Header names keep Django's case.
    assert [b"Content-Type", b"text/html; charset=utf-8"] in replies[0]["headers"]


def test_streaming_response_arrives_chunk_by_chunk(layer):
    replies = serve(layer, path="/stream/")
    assert [reply.get("content") for reply in replies] == [b"first,", b"second,", b"third", b""]
    assert replies[0]["status"] == 200
    assert all("status" not in reply for reply in replies[1:])
    assert [reply["more_content"] for reply in replies] == [True, True, True, False]


def test_async_streaming_response_is_consumed_part_by_part_without_warnings(layer):
    replies = serve(layer, path="/stream-async/", query_string=b"size=700000")
    contents = [reply["content"] for reply in replies]
    assert [len(content) for content in contents] == [
        CHUNK,
        700_000 - CHUNK,
        CHUNK,
        700_000 - CHUNK,
        CHUNK,
        700_000 - CHUNK,
        0,
    ]
    assert body_of(replies) == b"a" * 700_000 + b"b" * 700_000 + b"c" * 700_000


def test_five_megabyte_file_response_is_streamed_in_512_kib_chunks(layer, tmp_path):
    data = os.urandom(5 * 1024 * 1024)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    with override_settings(HANDLER_TEST_BIG_FILE=str(path)):
        replies = serve(layer, path="/big-file/")
    assert replies[0]["status"] == 200
    assert header_values(replies[0], b"content-length") == [str(len(data)).encode()]
    assert header_values(replies[0], b"content-disposition") == [b'attachment; filename="big.bin"']
    assert [len(reply["content"]) for reply in replies] == [CHUNK] * 10 + [0]
    assert body_of(replies) == data
    assert views.seen["big_file_handle"].closed


def test_head_request_gets_headers_without_a_body(layer):
    replies = serve(layer, method="HEAD", path="/target/")
    assert replies == [
        {
            "status": 200,
            "headers": replies[0]["headers"],
            "content": b"",
            "more_content": False,
        }
    ]
    assert header_values(replies[0], b"content-length") == [b"11"]


def test_view_raising_gets_django_500_page_and_the_error_is_reported(layer, caplog):
    reported: list[Any] = []

    def on_exception(**kwargs: Any) -> None:
        reported.append(kwargs["request"])

    got_request_exception.connect(on_exception)
    try:
        with caplog.at_level(logging.ERROR, logger="django.request"):
            replies = serve(layer, path="/boom/")
    finally:
        got_request_exception.disconnect(on_exception)
    assert replies[0]["status"] == 500
    assert b"Server Error (500)" in body_of(replies)
    assert len(reported) == 1
    assert any("Internal Server Error: /boom/" in r.getMessage() for r in caplog.records)


def test_failing_500_handler_still_gets_a_plain_text_500(layer, caplog):
    with override_settings(ROOT_URLCONF="tests.handler.urls_broken_500"):
        replies = serve(layer, path="/boom/")
    assert replies[0]["status"] == 500
    assert header_values(replies[0], b"content-type") == [b"text/plain"]
    assert body_of(replies) == b"Internal Server Error"


def test_error_escaping_django_shows_the_traceback_under_debug(layer):
    with override_settings(DEBUG=True, DEBUG_PROPAGATE_EXCEPTIONS=True):
        replies = serve(layer, path="/boom/")
    assert replies[0]["status"] == 500
    assert header_values(replies[0], b"content-type") == [b"text/plain"]
    assert b"Traceback" in body_of(replies)
    assert b"the view failed on purpose" in body_of(replies)


def test_response_later_sends_nothing_so_another_consumer_can_answer(layer, caplog):
    reported: list[Any] = []

    def on_exception(**kwargs: Any) -> None:
        reported.append(kwargs)

    message = make_message(layer, path="/later/")
    got_request_exception.connect(on_exception)
    try:
        with caplog.at_level(logging.WARNING):
            ViewConsumer()(message)
    finally:
        got_request_exception.disconnect(on_exception)
    assert nothing_pending(layer)
    assert reported == []
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    # The other consumer answers on the reply channel the view handed over.
    assert views.seen["later_reply_channel"] == message["reply_channel"]
    from django.http import HttpResponse

    for reply in AsgiHandler.encode_response(HttpResponse("answered later")):
        layer.send(views.seen["later_reply_channel"], reply)
    assert body_of(read_replies(layer, message)) == b"answered later"


def test_signals_bracket_the_request_and_finish_when_the_response_is_encoded(layer):
    events: list[Any] = []

    def started(sender: Any, **kwargs: Any) -> None:
        events.append(("started", kwargs["message"]["path"]))

    def finished(sender: Any, **kwargs: Any) -> None:
        events.append(("finished", sender))

    request_started.connect(started)
    request_finished.connect(finished)
    try:
        handler = AsgiHandler()
        replies = handler(make_message(layer, path="/stream/"))
        first = next(replies)
        assert events == [("started", "/stream/")]
        rest = list(replies)
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)
    assert events == [("started", "/stream/"), ("finished", AsgiHandler)]
    assert first["status"] == 200 and rest[-1]["more_content"] is False


def test_abandoning_the_reply_generator_still_finishes_the_request(layer):
    finished: list[Any] = []

    def on_finished(**kwargs: Any) -> None:
        finished.append(kwargs)

    request_finished.connect(on_finished)
    try:
        replies = AsgiHandler()(make_message(layer, path="/stream/"))
        next(replies)
        replies.close()
    finally:
        request_finished.disconnect(on_finished)
    assert len(finished) == 1


def test_view_consumer_gives_up_on_a_reply_channel_that_stays_full(caplog):
    layer = InMemoryChannelLayer(channel_capacity={"http.response.test!": 1})
    try:
        consumer = ViewConsumer()
        consumer.send_timeout = 0.3
        message = make_message(layer, path="/stream/")
        with caplog.at_level(logging.ERROR, logger="channels.handler"):
            consumer(message)
        assert any("stayed full" in r.getMessage() for r in caplog.records)
        # Only the first reply fitted; the consumer stopped instead of spinning forever.
        _, reply = layer.receive(["http.response.test!"])
        assert reply["content"] == b"first,"
        assert nothing_pending(layer)
    finally:
        layer.close()


def test_view_consumer_makes_one_handler_even_when_called_from_many_threads(layer):
    consumer = ViewConsumer()
    handlers: list[AsgiHandler] = []
    barrier = threading.Barrier(8, timeout=10)

    def call() -> None:
        barrier.wait()
        handlers.append(consumer.handler)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(handlers) == 8
    assert all(handler is handlers[0] for handler in handlers)


def test_response_later_from_an_async_view_sends_nothing(layer):
    message = make_message(layer, path="/later-async/")
    ViewConsumer()(message)
    assert nothing_pending(layer)
    assert views.seen["later_reply_channel"] == message["reply_channel"]


def test_message_missing_a_required_key_gets_400_and_an_error_log(layer, caplog):
    message = make_message(layer)
    del message.content["path"]
    with caplog.at_level(logging.ERROR, logger="django.request"):
        ViewConsumer()(message)
    assert read_replies(layer, message)[0]["status"] == 400
    assert any("no 'path' key" in r.getMessage() for r in caplog.records)
