"""``manage.py runworker``: run consumers for the messages of a channel layer."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from channels.management.channel_names import run_channel_worker
from channels.management.cross_process import cross_process_layer, setup_logging
from channels.signals import worker_process_ready
from channels.tuning import tune_process
from channels.worker import Worker


def _static_files_consumer() -> Any:
    """Serve static files from workers in DEBUG, as runserver does, if that is available."""
    if not (settings.DEBUG and apps.is_installed("django.contrib.staticfiles")):
        return None
    try:
        from channels.staticfiles import StaticFilesConsumer  # type: ignore[import-not-found]
    except ImportError:
        return None
    return StaticFilesConsumer()


class Command(BaseCommand):
    help = (
        "Runs a worker: receives messages from every routed channel of a channel layer and "
        "runs their consumers (sync ones on --threads threads, async ones concurrently)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "channels",
            nargs="*",
            help="Channel names: run ASGI_APPLICATION's consumers for them (Channels 4). "
            "Without names, run the routing's consumers for every routed channel.",
        )
        parser.add_argument(
            "--layer", default="default", help="Channel layer alias to use (default: default)."
        )
        parser.add_argument(
            "--only-channels",
            action="append",
            dest="only_channels",
            metavar="GLOB",
            help="Listen only on channels matching this glob; repeatable (e.g. 'http.*').",
        )
        parser.add_argument(
            "--exclude-channels",
            action="append",
            dest="exclude_channels",
            metavar="GLOB",
            help="Do not listen on channels matching this glob; repeatable.",
        )
        parser.add_argument(
            "--threads", type=int, default=1, help="Threads for sync consumers (default: 1)."
        )
        parser.add_argument(
            "--max-concurrency",
            type=int,
            default=100,
            dest="max_concurrency",
            help="Async consumers run at once at most (default: 100).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        setup_logging(verbosity)
        layer = cross_process_layer(
            options["layer"],
            "no interface server can reach a worker using it (runserver runs workers in "
            "threads instead)",
        )
        if options["channels"]:
            return run_channel_worker(layer, options["channels"], verbosity, self.stderr)
        try:
            router = layer.router
        except (ImportError, ValueError, TypeError) as exc:
            raise CommandError(str(exc)) from exc
        except Exception as exc:  # ImproperlyConfigured from a route, and the like
            raise CommandError(f"{type(exc).__name__}: {exc}") from exc
        router.check_default(http_consumer=_static_files_consumer())
        try:
            worker = Worker(
                layer,
                threads=options["threads"],
                max_concurrency=options["max_concurrency"],
                only_channels=options["only_channels"],
                exclude_channels=options["exclude_channels"],
            )
            channels = worker.listen_channels()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if verbosity >= 1:
            self.stderr.write(
                f"Running worker against channel layer {layer} on {', '.join(channels)}"
            )
        worker_process_ready.send(sender=worker)
        tune_process()
        with contextlib.suppress(KeyboardInterrupt):
            worker.run()
        if worker.abandoned:
            # Threads still running consumers would keep the process alive: leave now.
            sys.stderr.flush()
            logging.shutdown()
            os._exit(1)
