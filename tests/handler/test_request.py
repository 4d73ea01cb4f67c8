"""AsgiRequest: the Django request made from an http.request message."""

from __future__ import annotations

import threading

import pytest

from channels.exceptions import RequestAborted, RequestTimeout
from channels.handler import AsgiRequest
from channels.layers import InMemoryChannelLayer

from .conftest import make_message


def test_request_carries_method_path_query_headers_client_and_server(layer: InMemoryChannelLayer):
    message = make_message(
        layer,
        method="get",
        path="/caf\u00e9/",
        query_string=b"a=1&a=2&b=%C3%A9",
        headers=[
            [b"host", b"example.com"],
            [b"x-repeated", b"one"],
            [b"x-repeated", b"two"],
            [b"content-type", b"text/plain; charset=latin-1"],
            [b"cookie", b"flavour=oat; other=1"],
        ],
        client=["198.51.100.1", 4242],
        server=["10.0.0.1", 8000],
        scheme="https",
    )
    request = AsgiRequest(message)
    assert request.method == "GET"
    assert request.path == request.path_info == "/caf\u00e9/"
    assert request.GET.getlist("a") == ["1", "2"]
    assert request.GET["b"] == "\u00e9"
    assert request.META["QUERY_STRING"] == "a=1&a=2&b=%C3%A9"
    assert request.META["HTTP_X_REPEATED"] == "one,two"
    assert request.META["CONTENT_TYPE"] == "text/plain; charset=latin-1"
    assert request.encoding == "latin-1"
    assert request.COOKIES == {"flavour": "oat", "other": "1"}
    assert request.META["REMOTE_ADDR"] == request.META["REMOTE_HOST"] == "198.51.100.1"
    assert request.META["REMOTE_PORT"] == 4242
    assert (request.META["SERVER_NAME"], request.META["SERVER_PORT"]) == ("10.0.0.1", "8000")
    assert request.is_secure()
    assert request.message is message
    assert request.reply_channel == message.reply_channel
    request.close()


def test_request_without_server_reports_unknown_name_and_port_zero(layer):
    message = make_message(layer, server=None, client=None)
    request = AsgiRequest(message)
    assert (request.META["SERVER_NAME"], request.META["SERVER_PORT"]) == ("unknown", "0")
    assert "REMOTE_ADDR" not in request.META
    assert not request.is_secure()
    request.close()


def test_legacy_dict_headers_are_accepted(layer):
    message = make_message(layer, headers={"host": "example.com", b"user-agent": b"old/1.0"})
    request = AsgiRequest(message)
    assert request.META["HTTP_HOST"] == "example.com"
    assert request.META["HTTP_USER_AGENT"] == "old/1.0"
    request.close()


def test_header_spelled_with_underscores_cannot_spoof_the_dashed_one(layer):
    message = make_message(
        layer, headers=[[b"x-forwarded-for", b"203.0.113.9"], [b"x_forwarded_for", b"1.2.3.4"]]
    )
    request = AsgiRequest(message)
    assert request.META["HTTP_X_FORWARDED_FOR"] == "203.0.113.9"
    request.close()


def test_root_path_becomes_script_name_and_is_stripped_from_path_info(layer):
    request = AsgiRequest(make_message(layer, path="/app/echo/", root_path="/app"))
    assert request.META["SCRIPT_NAME"] == request.script_name == "/app"
    assert request.path_info == request.META["PATH_INFO"] == "/echo/"
    assert request.path == "/app/echo/"
    request.close()


def test_root_path_that_is_only_a_string_prefix_is_not_stripped(layer):
    request = AsgiRequest(make_message(layer, path="/application/x", root_path="/app"))
    assert request.path_info == "/application/x"
    request.close()


def test_invalid_utf8_query_string_raises_unicode_decode_error(layer):
    with pytest.raises(UnicodeDecodeError):
        AsgiRequest(make_message(layer, query_string=b"q=\xff\xfe"))


def test_body_arrives_inline_and_on_body_channel_from_another_thread(layer):
    body_channel = layer.new_channel("http.request.body?")
    message = make_message(
        layer,
        method="POST",
        body=b"start-",
        body_channel=body_channel,
        headers=[[b"content-type", b"application/octet-stream"]],
    )

    def interface_server() -> None:
        layer.send(body_channel, {"content": b"middle-", "more_content": True})
        layer.send(body_channel, {"content": b"end", "more_content": False})
        # Anything after the last chunk is not part of this body.
        layer.send(body_channel, {"content": b"IGNORED", "more_content": False})

    sender = threading.Thread(target=interface_server)
    sender.start()
    request = AsgiRequest(message)
    sender.join(timeout=10)
    assert request.body == b"start-middle-end"
    # Without a Content-Length header, the received size stands in for it.
    assert request.META["CONTENT_LENGTH"] == "16"
    request.close()


def test_body_channel_that_stays_silent_raises_request_timeout(layer):
    class QuickRequest(AsgiRequest):
        body_receive_timeout = 0.2

    body_channel = layer.new_channel("http.request.body?")
    layer.send(body_channel, {"content": b"partial", "more_content": True})
    with pytest.raises(RequestTimeout):
        QuickRequest(make_message(layer, method="POST", body_channel=body_channel))


def test_closed_body_chunk_raises_request_aborted(layer):
    body_channel = layer.new_channel("http.request.body?")
    layer.send(body_channel, {"content": b"partial", "more_content": True})
    layer.send(body_channel, {"closed": True})
    with pytest.raises(RequestAborted):
        AsgiRequest(make_message(layer, method="POST", body_channel=body_channel))


def test_large_body_is_spooled_to_disk_not_kept_in_memory(layer, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000
    body_channel = layer.new_channel("http.request.body?")
    layer.send(body_channel, {"content": b"y" * 5000})
    request = AsgiRequest(
        make_message(layer, method="POST", body=b"x" * 500, body_channel=body_channel)
    )
    assert request._stream._rolled  # type: ignore[attr-defined]
    assert request.read() == b"x" * 500 + b"y" * 5000
    request.close()


def test_request_that_is_never_closed_cleans_up_its_spooled_body(layer, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10
    body_channel = layer.new_channel("http.request.body?")
    layer.send(body_channel, {"content": b"y" * 100})
    request = AsgiRequest(make_message(layer, method="POST", body_channel=body_channel))
    stream = request._stream
    del request
    import gc

    gc.collect()
    assert stream.closed
