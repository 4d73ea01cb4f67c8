"""What ``manage.py channels`` reports: a deployment's processes, queues and groups, as the
JSON-able dicts its ``--json`` prints (their keys are documented in ``docs/operations.rst``
and kept stable), and the problems ``--check`` fails on.
"""

from __future__ import annotations

from typing import Any

from django.core.management import CommandError

from ..exceptions import ChannelLayerError
from ..layers.registry import ProcessRegistry, listened_channels, registry_of
from ..layers.tally import TALLIED

#: ``--check`` fails when a queue's oldest message is older than this (seconds) by default.
DEFAULT_MAX_AGE = 60.0

#: The keys of one process in ``status --json``, in order.
PROCESS_KEYS = (
    "id",
    "kind",
    "state",
    "host",
    "pid",
    "started",
    "heartbeat",
    "heartbeat_age",
    "interval",
    "channels",
    "connections",
    "handled",
    "failed",
)

#: The keys of one queue in ``queues --json``, in order.
QUEUE_KEYS = (
    "channel",
    "pending",
    "oldest_age",
    "capacity",
    "refused_full",
    "expired",
    "routed",
    "listeners",
)


class Inspection:
    """Reads one layer (a wrapper of :data:`channels.asgi.channel_layers`) for the command;
    layer errors become ``CommandError``."""

    def __init__(self, wrapper: Any) -> None:
        self.wrapper = wrapper
        try:
            self.registry: ProcessRegistry = registry_of(wrapper)
        except TypeError as exc:
            raise CommandError(str(exc)) from exc
        self.layer: Any = wrapper.channel_layer
        cls = type(self.layer)
        self.backend = f"{cls.__module__}.{cls.__qualname__}"
        self.scope = self.registry.registry_scope

    def _ask(self, what: str, call: Any, *args: Any) -> Any:
        try:
            return call(*args)
        except ChannelLayerError as exc:
            raise CommandError(
                f"cannot read {what} from channel layer {self.wrapper}: {exc}"
            ) from exc

    def header(self) -> dict[str, Any]:
        """The keys every ``--json`` document starts with."""
        return {"layer": self.wrapper.alias, "backend": self.backend, "scope": self.scope}

    # -- processes ----------------------------------------------------------------------------

    def processes(self) -> list[dict[str, Any]]:
        records = self._ask("the processes", self.registry.processes)
        return [{key: record.get(key) for key in PROCESS_KEYS} for record in records]

    def status(self) -> dict[str, Any]:
        return {**self.header(), "processes": self.processes()}

    # -- queues -------------------------------------------------------------------------------

    def routed_channels(self) -> list[str]:
        """The channels a ``runworker`` of this project would listen on."""
        try:
            router = self.wrapper.router
            if not router.defaults:
                router.check_default()
            return sorted(router.channels)
        except Exception as exc:  # an import error in ROUTING, ImproperlyConfigured...
            raise CommandError(
                f"cannot load the routing of channel layer {self.wrapper}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    def queues(self, processes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        if processes is None:
            processes = self.processes()
        routed = set(self.routed_channels())
        counts = self._ask("the counters", self.registry.deployment_counts)
        listeners: dict[str, int] = {}
        for record in processes:
            if record["kind"] == "worker" and record["state"] == "live":
                for channel in record["channels"]:
                    listeners[channel] = listeners.get(channel, 0) + 1
        names = set(self._ask("the queues", self.registry.queue_names)) | routed | set(listeners)
        for counter in TALLIED:
            names |= set(counts.get(counter, {}))
        rows = []
        for name in sorted(names):
            statistics = self._ask(f"{name!r}", self.layer.channel_statistics, name)
            age = statistics["oldest_message_age"]
            rows.append(
                {
                    "channel": name,
                    "pending": statistics["messages_pending"],
                    "oldest_age": None if age is None else round(age, 3),
                    "capacity": statistics["capacity"],
                    "refused_full": counts.get("channel_full_count", {}).get(name, 0),
                    "expired": counts.get("messages_expired", {}).get(name, 0),
                    "routed": name in routed,
                    "listeners": listeners.get(name, 0),
                }
            )
        return {**self.header(), "queues": rows}

    # -- groups -------------------------------------------------------------------------------

    def groups(self, name: str | None = None) -> dict[str, Any]:
        if name is not None:
            try:
                members = self._ask(f"group {name!r}", self.layer.group_channels, name)
            except (TypeError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
            return {**self.header(), "group": name, "members": sorted(members)}
        rows = []
        for group in self._ask("the groups", self.registry.group_names):
            members = self._ask(f"group {group!r}", self.layer.group_channels, group)
            if members:
                rows.append({"name": group, "members": len(members)})
        return {**self.header(), "groups": rows}

    # -- health -------------------------------------------------------------------------------

    def problems(self, max_age: float) -> list[str]:
        """What ``--check`` fails on: queues whose oldest message is older than ``max_age``
        seconds, and routed channels no live worker listens on."""
        if self.scope == "process":
            raise CommandError(
                f"--check needs a layer other processes share; channel layer {self.wrapper} "
                "lives in this process only, so no worker can be seen from here"
            )
        processes = self.processes()
        found = []
        live = listened_channels(processes)
        for row in self.queues(processes)["queues"]:
            age = row["oldest_age"]
            if age is not None and age > max_age:
                found.append(
                    f"{row['channel']}: oldest message is {age:.1f} s old (over {max_age:g} s); "
                    f"{row['pending']} pending"
                )
            if row["routed"] and row["channel"] not in live:
                found.append(f"{row['channel']}: routed, but no live worker listens on it")
        return found
