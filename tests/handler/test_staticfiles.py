"""StaticFilesHandler/StaticFilesConsumer: STATIC_URL served in development."""

from __future__ import annotations

import json

from django.test.utils import modify_settings, override_settings

from channels.staticfiles import StaticFilesConsumer

from .conftest import body_of, header_values, make_message, read_replies

STATICFILES = modify_settings(INSTALLED_APPS={"append": "django.contrib.staticfiles"})


def serve(layer, consumer, path, method="GET"):
    message = make_message(layer, path=path, method=method)
    consumer(message)
    return read_replies(layer, message)


@STATICFILES
@override_settings(DEBUG=True)
def test_static_file_is_served_under_debug(layer):
    replies = serve(layer, StaticFilesConsumer(), "/static/handler/app.css")
    assert replies[0]["status"] == 200
    assert header_values(replies[0], b"content-type") == [b"text/css"]
    assert body_of(replies) == b"body { color: teal; }\n"


@STATICFILES
@override_settings(DEBUG=True)
def test_head_of_static_file_has_length_but_no_body(layer):
    replies = serve(layer, StaticFilesConsumer(), "/static/handler/app.css", method="HEAD")
    assert header_values(replies[0], b"content-length") == [b"22"]
    assert body_of(replies) == b""


@STATICFILES
@override_settings(DEBUG=True)
def test_missing_static_file_under_debug_is_the_technical_404(layer):
    replies = serve(layer, StaticFilesConsumer(), "/static/handler/missing.css")
    assert replies[0]["status"] == 404
    assert b"handler/missing.css" in body_of(replies)


@STATICFILES
def test_without_debug_static_files_are_not_served(layer):
    replies = serve(layer, StaticFilesConsumer(), "/static/handler/app.css")
    assert json.loads(body_of(replies)) == {"served_by": "view", "name": "handler/app.css"}


@STATICFILES
def test_insecure_without_debug_serves_files_and_falls_through_to_views_on_404(layer):
    consumer = StaticFilesConsumer(insecure=True)
    assert body_of(serve(layer, consumer, "/static/handler/app.css")) == (
        b"body { color: teal; }\n"
    )
    replies = serve(layer, consumer, "/static/handler/missing.css")
    assert json.loads(body_of(replies)) == {"served_by": "view", "name": "handler/missing.css"}


@STATICFILES
@override_settings(DEBUG=True)
def test_paths_outside_static_url_go_to_the_views(layer):
    assert body_of(serve(layer, StaticFilesConsumer(), "/target/")) == b"you arrived"


@modify_settings(INSTALLED_APPS={"remove": "django.contrib.staticfiles"})
@override_settings(DEBUG=True)
def test_without_the_staticfiles_app_nothing_is_served(layer):
    replies = serve(layer, StaticFilesConsumer(), "/static/handler/app.css")
    assert json.loads(body_of(replies))["served_by"] == "view"
