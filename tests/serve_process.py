"""``python -m tests.serve_process module:attribute``: this package's daphne-based server
(:func:`channels.interface.server.serve`, as ``runserver`` runs it) on 127.0.0.1, a free
port, serving one ASGI application, for tests that compare it with the plain ``daphne`` CLI.

It prints the line daphne's CLI prints once it listens, so that
:class:`tests.daphne_server.DaphneServer` starts and reads either the same way.
"""

from __future__ import annotations

import importlib
import logging
import sys

from channels.interface.server import serve


def main(target: str) -> None:
    """Serve ``target`` until SIGTERM or SIGINT."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    module, _, attribute = target.partition(":")
    application = getattr(importlib.import_module(module), attribute)

    def ready(addresses: list[tuple[str, int]]) -> None:
        for host, port in addresses:
            print(f"Listening on TCP address {host}:{port}", flush=True)

    serve(application, host="127.0.0.1", port=0, signal_handlers=True, ready=ready)


if __name__ == "__main__":
    main(sys.argv[1])
