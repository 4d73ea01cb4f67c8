"""``manage.py runwsserver``: the earliest releases' WebSocket server, now part of runserver.

The command is kept so that people following those releases' instructions get told what to
run instead of Django's generic "Unknown command".
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

MESSAGE = (
    "`manage.py runwsserver` is gone: `manage.py runserver` now serves WebSockets as well as "
    "HTTP, in one process, so run `python manage.py runserver` (with the same address and "
    "port, if you gave any) instead. In production, run `daphne myproject.asgi:channel_layer` "
    "for HTTP and WebSockets plus `python manage.py runworker` processes."
)


class Command(BaseCommand):
    help = "Replaced by runserver, which serves WebSockets too; says so and exits."

    def add_arguments(self, parser: Any) -> None:
        # Whatever the old command was given (an address, a port), the answer is the same.
        parser.add_argument("args", nargs="*", help="ignored")

    def handle(self, *args: Any, **options: Any) -> None:
        raise CommandError(MESSAGE)
