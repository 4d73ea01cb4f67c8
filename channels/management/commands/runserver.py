"""``manage.py runserver``: daphne, the bridge and worker threads in one process.

It replaces Django's command (and staticfiles' one, whose options it keeps) when ``channels``
is listed before ``django.contrib.staticfiles`` in ``INSTALLED_APPS``. Without a ``default``
channel layer, or with ``--noasgi``, it is Django's own WSGI runserver.
"""

from __future__ import annotations

import errno
import logging
import os
import sys
import threading
from datetime import datetime
from typing import Any

from django.apps import apps
from django.conf import settings
from django.utils import autoreload

from channels.application import make_bridge
from channels.asgi import channel_layers
from channels.serving import (
    asgi_application_configured,
    only_server_access_log,
    runserver_application,
    server_access_log,
)

if apps.is_installed("django.contrib.staticfiles"):
    from django.contrib.staticfiles.management.commands.runserver import (
        Command as BaseRunserver,
    )
else:
    from django.core.management.commands.runserver import Command as BaseRunserver

logger = logging.getLogger("channels.server")


class Command(BaseRunserver):  # type: ignore[misc,valid-type]
    help = (
        "Starts a development server for HTTP and WebSocket: daphne, the channels bridge and "
        "worker threads in one process, on the 'default' channel layer."
    )
    #: Set once the delay server (channels.delay) runs in this process; the banner says so.
    _delay_server_running = False

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--noworker",
            action="store_false",
            dest="run_worker",
            help="Start no worker threads (run `manage.py runworker` separately).",
        )
        parser.add_argument(
            "--noasgi",
            action="store_false",
            dest="use_asgi",
            help="Run Django's own WSGI development server instead.",
        )
        parser.add_argument(
            "--http-timeout",
            "--http_timeout",
            type=float,
            default=None,
            dest="http_timeout",
            help="Seconds to wait for a worker's response before answering 503 (default 60).",
        )
        parser.add_argument(
            "--websocket-handshake-timeout",
            "--websocket_handshake_timeout",
            type=float,
            default=None,
            dest="websocket_handshake_timeout",
            help="Seconds to wait for a consumer to accept a WebSocket (default 5).",
        )

    def inner_run(self, *args: Any, **options: Any) -> None:
        has_layer = "default" in channel_layers
        if not options.get("use_asgi", True) or not (has_layer or asgi_application_configured()):
            return super().inner_run(*args, **options)  # type: ignore[no-any-return]
        autoreload.raise_last_exception()
        if not options.get("skip_checks"):
            self.stdout.write("Performing system checks...\n\n")
            self.check(display_num_errors=True)
        self.check_migrations()

        wrapper = channel_layers["default"] if has_layer else None
        if wrapper is not None:
            wrapper.router.check_default(http_consumer=self._http_consumer(options))
        if wrapper is not None and options.get("run_worker", True):
            from channels.worker import DEFAULT_THREADS

            threads = DEFAULT_THREADS if options["use_threading"] else 1
            self._start_worker(wrapper, threads=threads)
        elif wrapper is not None and wrapper.local_only():
            self.stderr.write(
                self.style.WARNING(
                    "--noworker with the in-memory layer: nothing else can reach this process's "
                    "layer, so no request will be answered."
                )
            )
        self._route_access_log()
        bridge = wrapper and make_bridge(
            wrapper,
            http_timeout=options.get("http_timeout"),
            websocket_connect_timeout=options.get("websocket_handshake_timeout"),
            # Its daphne keeps no access log of its own: the bridge's is the only one.
            access_log=True,
        )
        static = self._http_consumer(options) is not None
        application = runserver_application(bridge, wrapper, serve_static=static)
        action_logger = server_access_log if application is not bridge else None
        if action_logger is not None:
            logging.getLogger("channels.access").addFilter(only_server_access_log)
        from channels.interface.server import serve
        from channels.tuning import tune_process

        tune_process()
        try:
            serve(
                application,
                host=self.addr,
                port=int(self.port),
                # Under the autoreloader daphne runs in a thread: no signal handlers there.
                signal_handlers=not options["use_reloader"],
                root_path=getattr(settings, "FORCE_SCRIPT_NAME", None) or "",
                websocket_handshake_timeout=(bridge.websocket_connect_timeout if bridge else 5) + 5,
                verbosity=int(options.get("verbosity", 1)),
                ready=lambda addresses: self._banner(wrapper, addresses),
                action_logger=action_logger,
            )
        except OSError as exc:
            messages = {
                errno.EACCES: "You don't have permission to access that port.",
                errno.EADDRINUSE: "That port is already in use.",
                errno.EADDRNOTAVAIL: "That IP address can't be assigned to.",
            }
            self.stderr.write(f"Error: {messages.get(exc.errno, exc)}")
            os._exit(1)  # sys.exit does not leave a process from a thread
        except KeyboardInterrupt:
            shutdown_message = options.get("shutdown_message", "")
            if shutdown_message:
                self.stdout.write(shutdown_message)
            sys.exit(0)

    def _http_consumer(self, options: dict[str, Any]) -> Any:
        serve_static = options.get("use_static_handler", False) and (
            settings.DEBUG or options.get("insecure_serving", False)
        )
        if serve_static:
            from channels.staticfiles import StaticFilesConsumer

            return StaticFilesConsumer(insecure=options.get("insecure_serving", False))
        return None

    def _start_worker(self, wrapper: Any, threads: int) -> None:
        from channels.worker import Worker

        # Its consumer threads are daemon threads: Ctrl-C exits at once, abandoning running
        # views, as Django's development server does.
        worker = Worker(channel_layer=wrapper, threads=threads, signal_handlers=False)
        thread = threading.Thread(target=worker.run, name="channels-worker", daemon=True)
        thread.start()
        if apps.is_installed("channels.delay"):
            # The delay server too, so delayed messages work on the in-memory layer (which
            # a separate `rundelay` cannot reach).
            from channels.delay.worker import Worker as DelayServer

            delay = DelayServer(channel_layer=wrapper, signal_handlers=False)
            threading.Thread(target=delay.run, name="channels-delay", daemon=True).start()
            self._delay_server_running = True

    def _route_access_log(self) -> None:
        """Show the bridge's access log the way Django's runserver shows its own."""
        access = logging.getLogger("channels.access")
        if not access.handlers:
            for handler in logging.getLogger("django.server").handlers:
                access.addHandler(handler)
            access.setLevel(logging.INFO)
            access.propagate = False

    def _delay_banner(self) -> str:
        if not self._delay_server_running:
            return ""
        # Said, so nobody starts a `rundelay` as well (or wonders whether delays work).
        return "Delay server running beside it (channels.delay): no separate `rundelay` needed\n"

    def _banner(self, wrapper: Any, addresses: list[tuple[str, int]]) -> None:
        if not addresses:
            return
        host, port = addresses[0]
        shown = f"[{host}]" if ":" in host else ("0.0.0.0" if host == "0" else host)
        quit_command = "CTRL-BREAK" if sys.platform == "win32" else "CONTROL-C"
        self.stdout.write(
            f"{datetime.now().strftime('%B %d, %Y - %X')}\n"
            f"Django version {self.get_version()}, using settings {settings.SETTINGS_MODULE!r}\n"
            f"Starting Channels development server at http://{shown}:{port}/\n"
            f"Channel layer {wrapper or 'none'}\n"
            f"{self._delay_banner()}"
            f"Quit the server with {quit_command}."
        )
        self.stdout.flush()
