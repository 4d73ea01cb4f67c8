"""``manage.py rundelay``: the delay server of ``channels.delay``."""

from __future__ import annotations

import contextlib
import logging
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connections, router

from channels.asgi import channel_layers
from channels.delay import DELAY_CHANNEL
from channels.delay.models import DelayedMessage
from channels.delay.worker import Worker
from channels.exceptions import InvalidChannelLayerError


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
        self._setup_logging(options["verbosity"])
        alias = options["layer"]
        if alias not in channel_layers:
            raise CommandError(
                f"no channel layer {alias!r} in CHANNEL_LAYERS (configured: "
                f"{sorted(channel_layers.configs) or 'none'})"
            )
        try:
            layer = channel_layers[alias]
        except InvalidChannelLayerError as exc:
            raise CommandError(str(exc)) from exc
        if layer.local_only():
            raise CommandError(
                f"channel layer {layer} keeps its messages in this process's memory, so "
                "nothing can send to this delay server. Configure a cross-process layer such "
                "as 'channels.layers.redis.RedisChannelLayer'"
            )
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

    def _setup_logging(self, verbosity: int) -> None:
        """Log to stderr unless the project's LOGGING already handles ``channels``."""
        logger = logging.getLogger("channels")
        level = logging.WARNING if verbosity == 0 else logging.INFO
        if verbosity >= 2:
            level = logging.DEBUG
        logger.setLevel(level)
        if not logger.handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(
                logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
            )
            logger.addHandler(handler)
