"""AsgiHandler.encode_response used directly, as the seeds' custom consumers do."""

from __future__ import annotations

from django.http import HttpResponse

from channels.handler import AsgiHandler, AsgiRequest
from channels.signals import consumer_finished, consumer_started

from .conftest import body_of, make_message, nothing_pending, read_replies


def http_consumer(message):
    # The seed's first consumer, unchanged.
    response = HttpResponse("Hello world! You asked for %s" % message.content["path"])  # noqa: UP031
    for chunk in AsgiHandler.encode_response(response):
        message.reply_channel.send(chunk)


def view(request):
    return HttpResponse(f"{request.method} {request.path} {request.GET['q']}")


def my_consumer(message):
    # The seed's request/view/response consumer, unchanged.
    django_request = AsgiRequest(message)
    django_response = view(django_request)
    for chunk in AsgiHandler.encode_response(django_response):
        message.reply_channel.send(chunk)


def run_as_worker(consumer, message):
    """Run a consumer between the signals a worker sends, so its sends are held and flushed."""
    consumer_started.send(sender=None, environ={})
    try:
        consumer(message)
    finally:
        consumer_finished.send(sender=None)


def test_seed_http_consumer_answers_hello_world(layer):
    message = make_message(layer, path="/anything/")
    run_as_worker(http_consumer, message)
    replies = read_replies(layer, message)
    assert replies == [
        {
            "status": 200,
            "headers": [[b"Content-Type", b"text/html; charset=utf-8"]],
            "content": b"Hello world! You asked for /anything/",
            "more_content": False,
        }
    ]


def test_seed_consumer_builds_a_request_and_encodes_the_view_response(layer):
    message = make_message(layer, method="GET", path="/x/", query_string=b"q=1")
    run_as_worker(my_consumer, message)
    assert body_of(read_replies(layer, message)) == b"GET /x/ 1"
    assert nothing_pending(layer)


def test_empty_body_is_one_message_with_empty_content():
    replies = list(AsgiHandler.encode_response(HttpResponse(status=204)))
    assert replies == [
        {"status": 204, "headers": replies[0]["headers"], "content": b"", "more_content": False}
    ]


def test_content_is_split_at_512_kib_without_a_trailing_empty_chunk():
    size = AsgiHandler.chunk_size
    replies = list(AsgiHandler.encode_response(HttpResponse(b"z" * (2 * size))))
    assert [len(reply["content"]) for reply in replies] == [size, size]
    assert [reply["more_content"] for reply in replies] == [True, False]
    assert "status" in replies[0] and "status" not in replies[1]


def test_chunk_bytes_marks_the_last_piece():
    size = AsgiHandler.chunk_size
    assert list(AsgiHandler.chunk_bytes(b"")) == [(b"", True)]
    pieces = list(AsgiHandler.chunk_bytes(b"a" * (size + 1)))
    assert [(len(chunk), last) for chunk, last in pieces] == [(size, False), (1, True)]


async def test_async_streaming_content_encodes_even_when_called_on_a_running_loop():
    # Sync code called from a coroutine (an event loop already runs in this thread).
    import asyncio

    from django.http import StreamingHttpResponse

    async def parts():
        for word in (b"one ", b"two"):
            await asyncio.sleep(0)
            yield word

    replies = list(AsgiHandler.encode_response(StreamingHttpResponse(parts())))
    assert [reply["content"] for reply in replies] == [b"one ", b"two", b""]


def test_headers_are_byte_two_tuples_and_cookies_keep_the_1x_encoding():
    # As channels 1.x yielded them: (bytes, bytes) tuples, each cookie the Morsel's
    # output(header="") (which starts with a space), encoded.
    response = HttpResponse("hi", content_type="text/plain")
    response["X-Thing"] = "é"
    response.set_cookie("flavour", "oat", httponly=True)
    response.set_cookie("hint", "abc", max_age=60)
    headers = next(AsgiHandler.encode_response(response))["headers"]
    assert all(type(pair) is tuple and len(pair) == 2 for pair in headers)
    assert all(isinstance(part, bytes) for pair in headers for part in pair)
    assert (b"Content-Type", b"text/plain") in headers
    assert (b"X-Thing", "é".encode("latin-1")) in headers
    cookies = [value for name, value in headers if name == b"Set-Cookie"]
    assert cookies == [morsel.output(header="").encode() for morsel in response.cookies.values()]
    assert cookies[0].startswith(b" flavour=oat;") and b"HttpOnly" in cookies[0]
    assert cookies[1].startswith(b" hint=abc;") and b"Max-Age=60" in cookies[1]
