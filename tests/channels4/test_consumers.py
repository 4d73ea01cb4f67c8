"""Bare consumers: dispatch by type, StopConsumer, HTTP consumers, database_sync_to_async."""

from __future__ import annotations

import pytest

from channels.consumer import AsyncConsumer
from channels.routing import URLRouter
from channels.testing import ApplicationCommunicator, HttpCommunicator

from . import consumers
from .routing import http_urlpatterns


async def test_sync_consumer_dispatches_by_type_until_stop_consumer() -> None:
    communicator = ApplicationCommunicator(
        consumers.CountingConsumer.as_asgi(), {"type": "channel", "channel": "count"}
    )
    await communicator.send_input({"type": "count.up", "n": 1})
    assert await communicator.receive_output(1) == {"type": "counted", "n": 2}
    await communicator.send_input({"type": "count.stop"})
    await communicator.wait(1)


async def test_a_message_without_a_handler_is_an_error() -> None:
    communicator = ApplicationCommunicator(
        consumers.CountingConsumer.as_asgi(), {"type": "channel", "channel": "count"}
    )
    await communicator.send_input({"type": "count.sideways"})
    with pytest.raises(ValueError, match="count_sideways"):
        await communicator.wait(1)


async def test_types_that_would_reach_private_methods_are_refused() -> None:
    communicator = ApplicationCommunicator(AsyncConsumer.as_asgi(), {"type": "channel"})
    await communicator.send_input({"type": "_private.thing"})
    with pytest.raises(ValueError, match="refused"):
        await communicator.wait(1)


async def test_async_http_consumer_answers_with_the_body() -> None:
    app = URLRouter(http_urlpatterns)
    response = await HttpCommunicator(app, "POST", "/hello/", body=b"world").get_response()
    assert response["status"] == 200
    assert response["body"] == b"hello world"
    assert response["headers"] == [(b"Content-Type", b"text/plain")]


async def test_async_http_consumer_streams_chunks() -> None:
    app = URLRouter(http_urlpatterns)
    response = await HttpCommunicator(app, "GET", "/stream/").get_response()
    assert response["body"] == b"data: 0\n\ndata: 1\n\ndata: 2\n\n"


@pytest.mark.django_db(transaction=True)
async def test_database_sync_to_async_runs_orm_code() -> None:
    from django.contrib.auth.models import User

    from channels.db import database_sync_to_async

    await database_sync_to_async(User.objects.create_user)("ada", password="pw")
    assert await consumers.count_users() == 1


def test_the_exceptions_of_both_apis_are_in_one_module() -> None:
    from channels import exceptions

    for name in (
        "AcceptConnection",
        "ChannelFull",
        "DenyConnection",
        "InvalidChannelLayerError",
        "MessageTooLarge",
        "RequestAborted",
        "RequestTimeout",
        "StopConsumer",
        "ConsumeLater",
        "ResponseLater",
    ):
        assert name in exceptions.__all__
