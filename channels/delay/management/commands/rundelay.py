"""``manage.py rundelay``: the delay server of ``channels.delay``."""

from __future__ import annotations

import contextlib
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connections, router

from channels.delay import DELAY_CHANNEL
from channels.delay.models import DelayedMessage
from channels.delay.worker import Worker
from channels.management.cross_process import check_reachable, cross_process_layer, setup_logging


def _positive_float(value: str) -> float:
    import argparse

    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {value!r}") from None
    if not number > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {value!r}")
    return number


class Command(BaseCommand):
    help = (
        "Runs the delay server: stores messages sent to asgi.delay in the database and sends "
        "each to its channel when its delay has passed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--layer", default="default", help="Channel layer alias to use (default: default)."
        )
        parser.add_argument(
            "--sleep",
            type=_positive_float,
            default=1.0,
            help=(
                "Longest wait, in seconds, before looking at the database again for messages "
                "stored by other rundelay processes (default: 1)."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        setup_logging(options["verbosity"])
        layer = cross_process_layer(options["layer"], "nothing can send to this delay server")
        check_reachable(layer, options["layer"])
        self._check_table()
        worker = Worker(layer, database_sleep_duration=options["sleep"])
        if options["verbosity"] >= 1:
            self.stderr.write(
                f"Running delay server against channel layer {layer} on {DELAY_CHANNEL}"
            )
        with contextlib.suppress(KeyboardInterrupt):
            worker.run()

    def _check_table(self) -> None:
        using = router.db_for_write(DelayedMessage)
        table = DelayedMessage._meta.db_table
        try:
            with connections[using].cursor() as cursor:
                tables = connections[using].introspection.table_names(cursor)
        except DatabaseError as exc:
            raise CommandError(f"cannot reach database {using!r}: {exc}") from exc
        if table not in tables:
            raise CommandError(
                f"the table {table!r} of delayed messages does not exist in database "
                f"{using!r}; run: python manage.py migrate channels_delay"
            )
