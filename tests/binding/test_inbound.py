"""Clients' create/update/delete frames, applied when ``has_permission`` allows them: through
the binding's consumer directly, and through a worker running the demultiplexer."""

from __future__ import annotations

import json
from typing import Any

import pytest

from channels.message import Message
from tests.binding.testapp.bindings import NoteBinding, ThingBinding
from tests.binding.testapp.models import Note, Thing
from tests.workers import running_worker

from .conftest import Client


def frame(layer: Any, client: Client, payload: dict[str, Any]) -> Message:
    """The message a stream consumer gets for ``payload`` (the demultiplexer's rewrite)."""
    content = {
        "reply_channel": client.channel,
        "path": "/binding/lobby/",
        "order": 1,
        "text": json.dumps(payload),
    }
    return Message(content, "websocket.receive", layer)


def test_a_create_frame_creates_the_instance_and_its_group_hears(layer: Any) -> None:
    client = Client(layer, "room-lobby")
    ThingBinding.consumer(
        frame(layer, client, {"action": "create", "data": {"name": "new", "count": 3}})
    )
    thing = Thing.objects.get()
    assert (thing.name, thing.count, thing.room) == ("new", 3, "lobby")
    assert client.frame()["payload"]["action"] == "create"


def test_an_update_frame_changes_only_the_fields_it_names(layer: Any) -> None:
    thing = Thing.objects.create(name="old", count=1, secret="keep")
    client = Client(layer, "room-lobby")
    ThingBinding.consumer(
        frame(layer, client, {"action": "update", "pk": thing.pk, "data": {"count": "7"}})
    )
    thing.refresh_from_db()
    assert (thing.name, thing.count, thing.secret) == ("old", 7, "keep")
    assert client.frame()["payload"]["data"]["count"] == 7


def test_a_frame_cannot_set_a_field_the_binding_hides(
    layer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    thing = Thing.objects.create(name="x", secret="keep")
    client = Client(layer, "room-lobby")
    payload = {"action": "update", "pk": thing.pk, "data": {"secret": "stolen"}}
    ThingBinding.consumer(frame(layer, client, payload))
    thing.refresh_from_db()
    assert thing.secret == "keep"
    assert "cannot be set" in caplog.text
    assert client.nothing()


def test_a_delete_frame_is_refused_without_permission(
    layer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    thing = Thing.objects.create(name="stays")
    client = Client(layer, "room-lobby")
    ThingBinding.consumer(frame(layer, client, {"action": "delete", "pk": thing.pk}))
    assert Thing.objects.filter(pk=thing.pk).exists()
    assert "permission denied: delete" in caplog.text
    assert client.nothing()


def test_a_delete_frame_deletes_when_permitted(layer: Any) -> None:
    note = Note.objects.create(text="bye")
    client = Client(layer, "notes")
    NoteBinding.consumer(frame(layer, client, {"action": "delete", "pk": note.pk}))
    assert not Note.objects.exists()
    assert client.frame()["payload"] == {
        "action": "delete",
        "pk": note.pk,
        "data": {"text": "bye", "written": None},
        "model": "binding_testapp.note",
    }


@pytest.mark.parametrize(
    ("payload", "logged"),
    [
        ({"action": "explode", "pk": 1}, "unknown action 'explode'"),
        ({"action": "update", "data": {"text": "x"}}, "needs a 'pk'"),
        ({"action": "update", "pk": 999, "data": {"text": "x"}}, "no binding_testapp.note"),
        ({"action": "update", "pk": "abc", "data": {"text": "x"}}, "invalid pk 'abc'"),
        ({"action": "create", "data": {"written": "not a date"}}, "invalid data"),
        ({"action": "create", "data": ["not", "a", "dict"]}, '"data" must be an object'),
        ({"pk": 1}, 'with an "action"'),
    ],
)
def test_a_bad_frame_is_logged_and_changes_nothing(
    layer: Any, caplog: pytest.LogCaptureFixture, payload: dict[str, Any], logged: str
) -> None:
    client = Client(layer, "notes")
    NoteBinding.consumer(frame(layer, client, payload))
    assert logged in caplog.text
    assert not Note.objects.exists()


def test_connect_and_disconnect_messages_are_ignored_by_the_binding(layer: Any) -> None:
    client = Client(layer, "notes")
    connect = Message(
        {"reply_channel": client.channel, "path": "/binding/lobby/", "order": 0},
        "websocket.connect",
        layer,
    )
    NoteBinding.consumer(connect)
    assert client.nothing()


def test_frames_through_a_worker_and_the_demultiplexer(layer: Any) -> None:
    # The test plays interface server: connect, then frames on the "things" stream.
    socket = Client(layer)
    base = {"reply_channel": socket.channel, "path": "/binding/lobby/"}
    with running_worker(layer):
        layer.send("websocket.connect", {**base, "order": 0, "headers": [], "query_string": b""})
        assert socket.frame() == {"accept": True}
        create = {"action": "create", "data": {"name": "via socket"}}
        layer.send(
            "websocket.receive",
            {**base, "order": 1, "text": json.dumps({"stream": "things", "payload": create})},
        )
        created = socket.frame()
        assert created["stream"] == "things"
        assert created["payload"]["action"] == "create"
        assert created["payload"]["data"]["name"] == "via socket"
        pk = created["payload"]["pk"]
        delete = {"action": "delete", "pk": pk}
        layer.send(
            "websocket.receive",
            {**base, "order": 2, "text": json.dumps({"stream": "things", "payload": delete})},
        )
        note = {"action": "create", "data": {"text": "after the refused delete"}}
        layer.send(
            "websocket.receive",
            {**base, "order": 3, "text": json.dumps({"stream": "notes", "payload": note})},
        )
        # Frames of one socket run in order here (one worker thread): the refused delete
        # sent nothing, so the next frame is the note's.
        assert socket.frame()["stream"] == "notes"
    assert Thing.objects.filter(pk=pk).exists()
