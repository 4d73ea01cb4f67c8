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

from channels.application import setting
from channels.management.channel_names import run_channel_worker
from channels.management.cross_process import check_reachable, cross_process_layer, setup_logging
from channels.signals import worker_process_ready
from channels.tuning import tune_process
from channels.worker import DEFAULT_THREADS, Worker
from channels.worker_meter import start_reporting


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
            "--threads",
            type=int,
            default=DEFAULT_THREADS,
            help=f"Threads for sync consumers (default: {DEFAULT_THREADS}).",
        )
        parser.add_argument(
            "--max-concurrency",
            type=int,
            default=100,
            dest="max_concurrency",
            help="Async consumers run at once at most (default: 100).",
        )
        parser.add_argument(
            "--metrics",
            metavar="ADDR:PORT",
            help="Serve Prometheus metrics on this address, e.g. 127.0.0.1:9100 (needs "
            "channels-classic[metrics]).",
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
        check_reachable(layer, options["layer"])
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
        try:
            reporting = start_reporting(
                worker,
                channels,
                interval=setting("CHANNELS_HEARTBEAT_INTERVAL"),
                metrics_address=options["metrics"],
            )
        except (ValueError, ImportError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        if reporting.server is not None and verbosity >= 1:
            self.stderr.write(f"Serving metrics on http://{reporting.server.address}/metrics")
        worker_process_ready.send(sender=worker)
        tune_process()
        try:
            with contextlib.suppress(KeyboardInterrupt):
                worker.run()
        finally:
            reporting.stop()
        exit_if_abandoned(worker)


#: runworker's exit status when it abandoned consumers at shutdown.
EXIT_ABANDONED = 1


def exit_if_abandoned(worker: Any) -> None:
    """End the process at once with :data:`EXIT_ABANDONED` when ``worker.abandoned`` counts
    consumers still running after the shutdown timeout; otherwise return.

    Their threads cannot be stopped and would keep the interpreter from exiting, hence
    ``os._exit``. Only a positive ``int`` is believed: a ``Worker`` replaced in a test (a
    mock, whose attributes are all truthy) must not end the test run.
    """
    abandoned = getattr(worker, "abandoned", 0)
    if type(abandoned) is not int or abandoned <= 0:
        return
    sys.stderr.write(f"runworker: {abandoned} consumer(s) abandoned at shutdown; exiting now\n")
    sys.stderr.flush()
    logging.shutdown()
    os._exit(EXIT_ABANDONED)
