"""``ChannelLiveServerTestCase``: the real interface server and workers, for real clients.

For the test class, the site runs as it does under ``manage.py runserver`` (daphne, the
bridge and worker threads) in a subprocess on a free port of ``127.0.0.1``, on the test
database. Tests talk to it over real sockets: a browser driver, ``httpx``, ``websockets``::

    class ChatTests(ChannelLiveServerTestCase):
        def test_echo(self):
            with websockets.sync.client.connect(self.live_server_ws_url + "/echo/") as ws:
                ws.send("hi")
                assert ws.recv(timeout=5) == "hi"

Needs a test database another process can open: not SQLite in memory (set
``DATABASES[alias]["TEST"]["NAME"]`` to a file). With a channel layer that crosses processes
(Redis), ``TEST_CONFIG`` is used on both sides, so the test can also ``Group(...).send()``
to the server's sockets; with the in-memory layer the layer lives in the server process only.

Settings changed inside the test process (``override_settings``, ``apply_routes``) do not
reach the server: it reads the settings module, like any other process of the site.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.test import TransactionTestCase
from django.utils.functional import classproperty

from .. import DEFAULT_CHANNEL_LAYER
from ..asgi import ChannelLayerWrapper, channel_layers

#: How the server process learns the test databases and options (JSON).
ENVIRONMENT_KEY = "CHANNELS_LIVE_SERVER"
_BANNER = re.compile(r"Starting Channels development server at http://(?P<host>.+):(?P<port>\d+)/")


class LiveServerProcess:
    """``manage.py runserver`` on port 0 in a subprocess, told to use the test databases."""

    def __init__(
        self,
        host: str,
        databases: dict[str, str],
        serve_static: bool,
        startup_timeout: float,
        shutdown_timeout: float,
    ) -> None:
        self.host = host
        self.databases = databases
        self.serve_static = serve_static
        self.startup_timeout = startup_timeout
        self.shutdown_timeout = shutdown_timeout
        self.port: int | None = None
        self.lines: list[str] = []
        self.process: subprocess.Popen[str] | None = None
        self._announced = threading.Event()
        self._reader: threading.Thread | None = None

    def start(self) -> None:
        """Start the server; return once it listens, or raise with its output."""
        settings_module = os.environ.get("DJANGO_SETTINGS_MODULE")
        if not settings_module:
            raise ImproperlyConfigured(
                "ChannelLiveServerTestCase starts the site in a subprocess, which finds the "
                "settings through DJANGO_SETTINGS_MODULE; it is not set (settings.configure() "
                "cannot cross processes)"
            )
        # The child must import what this process imports (pytest's `pythonpath`, a runner's
        # sys.path tweaks), so it gets this process's path first.
        path = [entry for entry in sys.path if entry]
        if os.environ.get("PYTHONPATH"):
            path.append(os.environ["PYTHONPATH"])
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings_module,
            "PYTHONPATH": os.pathsep.join(path),
            "PYTHONUNBUFFERED": "1",
            ENVIRONMENT_KEY: json.dumps(
                {"databases": self.databases, "host": self.host, "static": self.serve_static}
            ),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "channels.test.liveserver"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        self._reader = threading.Thread(target=self._read, name="live-server-output", daemon=True)
        self._reader.start()
        # The reader also sets the event when the output ends (the server died early).
        if not self._announced.wait(self.startup_timeout) or self.port is None:
            self.stop()
            raise RuntimeError(
                f"the live server did not start listening within {self.startup_timeout} s; "
                f"its output:\n{self.output()}"
            )

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            found = _BANNER.search(line)
            if found and self.port is None:
                self.port = int(found["port"])
                self._announced.set()
        self._announced.set()

    def output(self) -> str:
        """Everything the server printed so far."""
        return "\n".join(self.lines)

    def stop(self) -> None:
        """SIGTERM (daphne stops), then SIGKILL if it outlives ``shutdown_timeout``."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(self.shutdown_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(self.shutdown_timeout)
        if self._reader is not None:
            self._reader.join(self.shutdown_timeout)
        if process.stdout is not None:
            process.stdout.close()


class ChannelLiveServerTestCase(TransactionTestCase):
    """A ``TransactionTestCase`` with the site served for real on ``live_server_url``
    (``http://127.0.0.1:PORT``) and ``live_server_ws_url`` (``ws://127.0.0.1:PORT``).

    One server per test class, started in ``setUpClass`` and stopped in ``tearDownClass``.
    ``serve_static`` serves static files even with ``DEBUG = False`` (``runserver
    --insecure``), as a live site test usually wants.
    """

    host: ClassVar[str] = "127.0.0.1"
    serve_static: ClassVar[bool] = True
    #: Seconds the server may take to start listening, and to exit.
    startup_timeout: ClassVar[float] = 30.0
    shutdown_timeout: ClassVar[float] = 10.0

    _live_server: ClassVar[LiveServerProcess | None] = None
    _previous_layer: ClassVar[ChannelLayerWrapper | None] = None

    @classproperty
    def live_server_url(cls) -> str:
        """``http://host:port`` of the running server."""
        return f"http://{cls._address()}"

    @classproperty
    def live_server_ws_url(cls) -> str:
        """``ws://host:port`` of the running server."""
        return f"ws://{cls._address()}"

    @classmethod
    def _address(cls) -> str:
        server = cls._live_server
        if server is None or server.port is None:
            raise RuntimeError("the live server runs only between setUpClass and tearDownClass")
        host = f"[{cls.host}]" if ":" in cls.host else cls.host
        return f"{host}:{server.port}"

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        try:
            cls._start_live_server()
        except BaseException:
            cls._restore_layer()
            super().tearDownClass()
            raise

    @classmethod
    def _start_live_server(cls) -> None:
        databases = {}
        for alias in connections:
            connection = connections[alias]
            if connection.vendor == "sqlite" and connection.is_in_memory_db():
                raise ImproperlyConfigured(
                    f"ChannelLiveServerTestCase serves the site from another process, which "
                    f"cannot open the in-memory SQLite test database {alias!r}; set "
                    f"DATABASES[{alias!r}]['TEST']['NAME'] to a file path"
                )
            databases[alias] = str(connection.settings_dict["NAME"])
        cls._use_test_layer()
        cls._live_server = LiveServerProcess(
            cls.host,
            databases,
            serve_static=cls.serve_static,
            startup_timeout=cls.startup_timeout,
            shutdown_timeout=cls.shutdown_timeout,
        )
        cls._live_server.start()

    @classmethod
    def _use_test_layer(cls) -> None:
        """With a layer that crosses processes, talk to the server's (``TEST_CONFIG``) one."""
        config = channel_layers.configs.get(DEFAULT_CHANNEL_LAYER)
        if not isinstance(config, dict) or "TEST_CONFIG" not in config:
            return
        wrapper = channel_layers.make_test_backend(DEFAULT_CHANNEL_LAYER)
        if wrapper.local_only():
            wrapper.channel_layer.close()
            return
        wrapper.flush()
        cls._previous_layer = channel_layers.set(DEFAULT_CHANNEL_LAYER, wrapper)

    @classmethod
    def _restore_layer(cls) -> None:
        if cls._previous_layer is not None:
            test_layer = channel_layers.set(DEFAULT_CHANNEL_LAYER, cls._previous_layer)
            cls._previous_layer = None
            if test_layer is not None:
                test_layer.flush()
                test_layer.channel_layer.close()

    @classmethod
    def tearDownClass(cls) -> None:
        try:
            if cls._live_server is not None:
                cls._live_server.stop()
                cls._live_server = None
            cls._restore_layer()
        finally:
            super().tearDownClass()

    @classmethod
    def live_server_output(cls) -> str:
        """What the server printed so far (its log), for a failing test's message."""
        return cls._live_server.output() if cls._live_server is not None else ""


def main() -> None:
    """The server process: point the settings at the test databases, then ``runserver``."""
    options = json.loads(os.environ[ENVIRONMENT_KEY])
    for alias, name in options["databases"].items():
        settings.DATABASES[alias]["NAME"] = name
    layers = getattr(settings, "CHANNEL_LAYERS", {})
    default = layers.get(DEFAULT_CHANNEL_LAYER)
    if isinstance(default, dict) and "TEST_CONFIG" in default:
        settings.CHANNEL_LAYERS = {
            **layers,
            DEFAULT_CHANNEL_LAYER: {**default, "CONFIG": default["TEST_CONFIG"]},
        }
    import django
    from django.apps import apps
    from django.core.management import call_command

    django.setup()
    arguments = [f"{options['host']}:0", "--noreload"]
    if options["static"] and apps.is_installed("django.contrib.staticfiles"):
        arguments.append("--insecure")
    # This package's runserver even when another app's comes first (Channels 4 projects
    # list "daphne" first): it serves ASGI_APPLICATION and announces its real port.
    from channels.management.commands.runserver import Command as Runserver

    call_command(Runserver(), *arguments)


if __name__ == "__main__":
    main()


__all__ = ["ChannelLiveServerTestCase", "LiveServerProcess"]
