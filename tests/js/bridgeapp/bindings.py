"""Notes, bound to the ``notes`` stream of every socket."""

from __future__ import annotations

from typing import Any

from channels.binding.websockets import WebsocketBinding


class NoteBinding(WebsocketBinding):
    """Every saved note goes to group ``notes``; pages may create notes, nothing else."""

    model = "bridgeapp.Note"
    stream = "notes"
    fields = ["text"]
    channel_session_user = False

    @classmethod
    def group_names(cls, instance: Any) -> list[str]:
        return ["notes"]

    def has_permission(self, user: Any, action: str, pk: Any) -> bool:
        return action == "create"
