"""Run as ``python -m tests.worker.runworker_exit CASE``: how runworker ends in
a process of its own (it may call ``os._exit``, which must not end the test run).

``mock``       ``runworker`` with its ``Worker`` replaced by a mock, as 1.x tests did; prints
               ``returned`` if the command came back.
``abandoned``  a real Worker that abandons a stuck consumer at shutdown, then
               ``exit_if_abandoned``; prints ``returned`` only if that came back.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any
from unittest import mock

from channels.layers.inmemory import InMemoryChannelLayer


class CrossProcessLayer(InMemoryChannelLayer):
    """Claims to cross processes, so runworker accepts it; never used by a mocked Worker."""

    crosses_processes = True


never = threading.Event()


def stuck(message: Any) -> None:
    """Stops its own worker, then never finishes."""
    worker.termed = True
    print("consumer started", flush=True)
    never.wait()


def main(case: str) -> None:
    global worker
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.project.settings")
    django.setup()
    from django.core.management import call_command
    from django.test.utils import override_settings

    from channels.asgi import channel_layers
    from channels.routing import route
    from channels.worker import Worker

    layers = {
        "default": {
            "BACKEND": f"{__name__}.CrossProcessLayer",
            "ROUTING": [route("stuck", stuck)],
        }
    }
    if case == "mock":
        with (
            override_settings(CHANNEL_LAYERS=layers),
            mock.patch("channels.management.commands.runworker.Worker") as fake,
        ):
            call_command("runworker", verbosity=0)
        print(f"returned, run called {fake.return_value.run.call_count} time(s)", flush=True)
        return
    from channels.management.commands.runworker import exit_if_abandoned

    with override_settings(CHANNEL_LAYERS=layers):
        layer = channel_layers["default"]
        worker = Worker(layer, signal_handlers=False, shutdown_timeout=0.2)
        layer.send("stuck", {})
        worker.run()
        print(f"abandoned {worker.abandoned}", flush=True)
        exit_if_abandoned(worker)
        print("returned", flush=True)


worker: Any = None

if __name__ == "__main__":
    main(sys.argv[1])
