"""The bindings of the test app."""

from __future__ import annotations

from typing import Any

from channels.binding.websockets import WebsocketBinding


class ThingBinding(WebsocketBinding):
    """Things, to the group of their room; clients may create and update, not delete."""

    model = "binding_testapp.Thing"
    stream = "things"
    fields = ["name", "room", "count"]

    @classmethod
    def group_names(cls, instance: Any) -> list[str]:
        return [f"room-{instance.room}"]

    def has_permission(self, user: Any, action: str, pk: Any) -> bool:
        return action in ("create", "update")


class NoteBinding(WebsocketBinding):
    """Notes, to every socket; everything allowed; ``token`` never leaves the server."""

    model = "binding_testapp.Note"
    stream = "notes"
    exclude = ["token"]
    channel_session_user = False

    @classmethod
    def group_names(cls, instance: Any) -> list[str]:
        return ["notes"]

    def has_permission(self, user: Any, action: str, pk: Any) -> bool:
        return True
