"""``setup_logger``: the logging helper of channels 1.x, and the one stream handler that the
management commands share.

The module path is the one channels 1.x had (``from channels.log import setup_logger``),
which is why it is named ``log`` rather than after a single idea. It imports nothing but the
standard library.

``runworker`` and ``rundelay`` log ``channels`` through the same :data:`handler`
(:func:`channels.management.cross_process.setup_logging`), so calling :func:`setup_logger`
as well, in any order and any number of times, never prints a record twice.
"""

from __future__ import annotations

import logging
import sys
from typing import Any


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A ``StreamHandler`` on whatever ``sys.stderr`` is when a record is written, so that
    replacing ``sys.stderr`` later (test runners capturing output, daemonizing) is followed
    rather than writing to a stream that may be closed."""

    def __init__(self, level: int = logging.NOTSET) -> None:
        logging.Handler.__init__(self, level)

    @property
    def stream(self) -> Any:
        return sys.stderr


#: The handler :func:`setup_logger` attaches: a ``StreamHandler`` on stderr. It is looked up
#: each time, so a test may swap it for its own before a command runs, as in 1.x:
#: ``channels.log.handler = logging.StreamHandler(stream)``.
handler: logging.Handler = StderrHandler()

#: The format given to :data:`handler` when it has none.
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

#: Daphne's loggers, which :func:`setup_logger` sends to the same handler.
DAPHNE_LOGGERS = ("daphne.ws_protocol", "daphne.http_protocol", "daphne.server")


def shared_handler() -> logging.Handler:
    """:data:`handler` as it is now, given :data:`FORMAT` if it has no formatter."""
    current = handler
    if current.formatter is None:
        current.setFormatter(logging.Formatter(FORMAT))
    return current


def setup_logger(name: str, verbosity: int = 1) -> logging.Logger:
    """Log ``name`` and daphne's loggers to :data:`handler`; return the ``name`` logger.

    The level is INFO, or DEBUG when ``verbosity`` is more than 1. The ``name`` logger stops
    propagating to its parents, so its records are printed once. The 1.x management commands
    called it with ``"django.channels"``. Adding the handler again is a no-op.
    """
    level = logging.DEBUG if verbosity > 1 else logging.INFO
    current = shared_handler()
    logger = logging.getLogger(name)
    logger.setLevel(level)
    logger.addHandler(current)  # no-op when it is there already
    logger.propagate = False
    for daphne_name in DAPHNE_LOGGERS:
        daphne_logger = logging.getLogger(daphne_name)
        daphne_logger.setLevel(level)
        daphne_logger.addHandler(current)
    return logger


__all__ = [
    "DAPHNE_LOGGERS",
    "FORMAT",
    "StderrHandler",
    "handler",
    "setup_logger",
    "shared_handler",
]
