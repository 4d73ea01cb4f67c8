"""Bindings under ``ChannelTestCase``, written as 1.x binding tests were: the test's
transaction never commits, yet the frames of its changes reach the test's clients."""

from __future__ import annotations

import contextlib

import pytest
from django.db import transaction

from channels.test import ChannelTestCase, HttpClient, apply_routes
from tests.binding.testapp.models import Thing

from .conftest import ROUTING


@pytest.mark.usefixtures("binding_app")
@apply_routes(ROUTING)
class BindingTests(ChannelTestCase):
    def test_a_change_made_by_the_test_reaches_a_client_of_the_group(self) -> None:
        client = HttpClient()
        client.join_group("room-lobby")
        thing = Thing.objects.create(name="lamp", count=2, secret="hidden")
        frame = client.receive()  # the JSON text frame, decoded
        self.assertEqual(frame["stream"], "things")
        self.assertEqual((frame["payload"]["action"], frame["payload"]["pk"]), ("create", thing.pk))
        self.assertNotIn("secret", frame["payload"]["data"])
        thing.delete()
        self.assertEqual(client.receive()["payload"]["action"], "delete")
        self.assertIsNone(client.receive())

    def test_a_frame_from_the_client_changes_the_model_and_the_group_hears(self) -> None:
        client = HttpClient()
        client.send_and_consume("websocket.connect", path="/binding/lobby/")
        client.send_and_consume(
            "websocket.receive",
            text={"stream": "things", "payload": {"action": "create", "data": {"name": "new"}}},
            path="/binding/lobby/",
        )
        thing = Thing.objects.get()
        frame = client.receive()
        self.assertEqual(frame["stream"], "things")
        self.assertEqual(frame["payload"]["action"], "create")
        self.assertEqual(frame["payload"]["pk"], thing.pk)
        self.assertIsNone(client.receive())

    def test_a_change_rolled_back_sends_nothing(self) -> None:
        client = HttpClient()
        client.join_group("room-lobby")
        with contextlib.suppress(RuntimeError), transaction.atomic():
            Thing.objects.create(name="ghost")
            raise RuntimeError("roll back")
        self.assertFalse(Thing.objects.exists())
        self.assertIsNone(client.receive())
