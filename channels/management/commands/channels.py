"""``manage.py channels``: see a deployment's processes, queues and groups.

::

    manage.py channels status [--json] [--layer ALIAS] [--check [--max-age SECONDS]]
    manage.py channels queues [--json] [--layer ALIAS] [--check [--max-age SECONDS]]
    manage.py channels groups [NAME] [--json] [--layer ALIAS]

Tables for people by default; ``--json`` prints one JSON document with the keys listed in
``docs/operations.rst``. ``--check`` exits with status 1, naming each problem on stderr, when
a queue's oldest message is older than ``--max-age`` or a routed channel has no live worker.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from channels.management.cross_process import configured_layer
from channels.management.inspection import DEFAULT_MAX_AGE, Inspection

SUBCOMMANDS = ("status", "queues", "groups")


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


def _age(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.1f} s"


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [headers, *[["-" if value is None else str(value) for value in row] for row in rows]]
    widths = [max(len(row[column]) for row in cells) for column in range(len(headers))]
    return "\n".join(
        "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    )


class Command(BaseCommand):
    help = (
        "Shows a channels deployment: 'status' lists its processes, 'queues' its channels "
        "with pending, refused and expired messages, 'groups' its groups. --json for "
        "machines, --check for health checks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=SUBCOMMANDS, help="What to show.")
        parser.add_argument("name", nargs="?", help="groups only: show the members of this group.")
        parser.add_argument(
            "--layer", default="default", help="Channel layer alias to read (default: default)."
        )
        parser.add_argument(
            "--json", action="store_true", help="Print one JSON document (keys are stable)."
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Exit with status 1 when a queue's oldest message is older than --max-age or "
            "a routed channel has no live worker.",
        )
        parser.add_argument(
            "--max-age",
            type=float,
            default=DEFAULT_MAX_AGE,
            dest="max_age",
            metavar="SECONDS",
            help=f"Oldest message age --check accepts (default: {DEFAULT_MAX_AGE:g}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand, name = options["subcommand"], options["name"]
        if name is not None and subcommand != "groups":
            raise CommandError(f"only 'groups' takes a NAME; '{subcommand}' got {name!r}")
        if options["max_age"] <= 0:
            raise CommandError(f"--max-age must be a positive number, got {options['max_age']!r}")
        if options["check"] and subcommand == "groups":
            raise CommandError("--check goes with 'status' or 'queues', not 'groups'")
        inspection = Inspection(configured_layer(options["layer"]))
        if inspection.scope == "process" and not options["json"]:
            self.stderr.write(
                f"Note: channel layer {inspection.wrapper} lives in this process's memory, so "
                "this shows this process only, never runserver's or any other process's."
            )
        if subcommand == "status":
            document = inspection.status()
        elif subcommand == "queues":
            document = inspection.queues()
        else:
            document = inspection.groups(name)
        if options["json"]:
            self.stdout.write(json.dumps(document, indent=2))
        else:
            self.stdout.write(getattr(self, f"_render_{subcommand}")(document))
        if options["check"]:
            problems = inspection.problems(options["max_age"])
            for problem in problems:
                self.stderr.write(f"CHECK FAILED: {problem}")
            if problems:
                raise SystemExit(1)

    def _render_status(self, document: dict[str, Any]) -> str:
        processes = document["processes"]
        live = sum(1 for process in processes if process["state"] == "live")
        lines = [f"Layer {document['layer']} ({document['backend']}): {live} live process(es)"]
        if not processes:
            lines.append("No process has published a heartbeat.")
            return "\n".join(lines)
        rows = [
            [
                process["kind"],
                process["state"],
                process["host"],
                process["pid"],
                _when(process["started"]),
                _age(process["heartbeat_age"]) + " ago",
                process["connections"],
                process["handled"],
                process["failed"],
                ", ".join(process["channels"]) or "-",
            ]
            for process in processes
        ]
        headers = ["KIND", "STATE", "HOST", "PID", "STARTED", "LAST BEAT"]
        headers += ["CONNECTIONS", "HANDLED", "FAILED", "CHANNELS"]
        lines.append(_table(headers, rows))
        return "\n".join(lines)

    def _render_queues(self, document: dict[str, Any]) -> str:
        if not document["queues"]:
            return "No queue holds messages and no channel is routed."
        rows = [
            [
                queue["channel"],
                queue["pending"],
                _age(queue["oldest_age"]),
                queue["capacity"],
                queue["refused_full"],
                queue["expired"],
                "yes" if queue["routed"] else "no",
                queue["listeners"],
            ]
            for queue in document["queues"]
        ]
        headers = ["CHANNEL", "PENDING", "OLDEST", "CAPACITY", "REFUSED FULL", "EXPIRED"]
        return _table([*headers, "ROUTED", "WORKERS"], rows)

    def _render_groups(self, document: dict[str, Any]) -> str:
        if "group" in document:
            members = document["members"]
            head = f"Group {document['group']}: {len(members)} member(s)"
            return "\n".join([head, *members])
        if not document["groups"]:
            return "No group has members."
        return _table(
            ["GROUP", "MEMBERS"],
            [[group["name"], group["members"]] for group in document["groups"]],
        )
