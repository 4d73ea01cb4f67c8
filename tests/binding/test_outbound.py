"""Model changes reach the groups of the instance as ``{"stream", "payload"}`` frames."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from tests.binding.testapp.models import Note, Thing

from .conftest import Client


def test_creating_an_instance_sends_create_to_its_group(layer: Any) -> None:
    lobby = Client(layer, "room-lobby")
    elsewhere = Client(layer, "room-attic")
    thing = Thing.objects.create(name="lamp", count=2, secret="hidden")
    assert lobby.frame() == {
        "stream": "things",
        "payload": {
            "action": "create",
            "pk": thing.pk,
            "data": {"name": "lamp", "room": "lobby", "count": 2},
            "model": "binding_testapp.thing",
        },
    }
    assert elsewhere.nothing()


def test_updating_and_deleting_send_update_and_delete(layer: Any) -> None:
    lobby = Client(layer, "room-lobby")
    thing = Thing.objects.create(name="lamp")
    assert lobby.frame()["payload"]["action"] == "create"
    thing.count = 5
    thing.save()
    update = lobby.frame()["payload"]
    assert (update["action"], update["pk"], update["data"]["count"]) == ("update", thing.pk, 5)
    pk = thing.pk
    thing.delete()
    delete = lobby.frame()["payload"]
    assert (delete["action"], delete["pk"]) == ("delete", pk)
    assert lobby.nothing()


def test_moving_between_groups_sends_delete_to_the_old_and_create_to_the_new(
    layer: Any,
) -> None:
    lobby = Client(layer, "room-lobby")
    attic = Client(layer, "room-attic")
    thing = Thing.objects.create(name="chair")
    assert lobby.frame()["payload"]["action"] == "create"
    # Changed on a fresh copy, as a view would: the old group comes from the stored row.
    moved = Thing.objects.get(pk=thing.pk)
    moved.room = "attic"
    moved.save()
    left = lobby.frame()["payload"]
    arrived = attic.frame()["payload"]
    assert (left["action"], left["pk"]) == ("delete", thing.pk)
    assert (arrived["action"], arrived["pk"], arrived["data"]["room"]) == (
        "create",
        thing.pk,
        "attic",
    )
    moved.count = 1
    moved.save()
    assert attic.frame()["payload"]["action"] == "update"
    assert lobby.nothing()


def test_queryset_updates_do_not_send_but_queryset_deletes_do(layer: Any) -> None:
    # As Django's own signals: update() sends none, delete() sends one per instance.
    lobby = Client(layer, "room-lobby")
    Thing.objects.create(name="a")
    Thing.objects.create(name="b")
    assert [lobby.frame()["payload"]["action"] for _ in range(2)] == ["create", "create"]
    Thing.objects.update(count=9)
    assert lobby.nothing()
    Thing.objects.all().delete()
    assert [lobby.frame()["payload"]["action"] for _ in range(2)] == ["delete", "delete"]


def test_exclude_keeps_a_field_out_and_values_are_json(layer: Any) -> None:
    notes = Client(layer, "notes")
    written = datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.timezone.utc)
    note = Note.objects.create(text="hello", written=written, token="s3cret")
    payload = notes.frame()["payload"]
    assert payload["pk"] == note.pk
    assert payload["data"] == {"text": "hello", "written": "2024-05-01T12:30:00Z"}
    assert payload["model"] == "binding_testapp.note"


def test_a_rolled_back_change_sends_nothing(layer: Any) -> None:
    lobby = Client(layer, "room-lobby")
    with pytest.raises(RuntimeError), transaction.atomic():
        Thing.objects.create(name="ghost")
        raise RuntimeError("roll back")
    assert lobby.nothing()
    assert not Thing.objects.exists()


def test_frames_wait_for_the_transaction_to_commit(layer: Any) -> None:
    lobby = Client(layer, "room-lobby")
    with transaction.atomic():
        thing = Thing.objects.create(name="late")
        assert lobby.nothing()
    assert lobby.frame()["payload"]["pk"] == thing.pk


def test_a_note_written_now_is_sent_with_its_time(layer: Any) -> None:
    notes = Client(layer, "notes")
    Note.objects.create(text="now", written=timezone.now())
    assert notes.frame()["payload"]["data"]["written"].endswith("Z")
