"""Structured log fields: the channel, reply channel and consumer a record is about.

Records of the ``channels.worker``, ``channels.interface``, ``channels.layers`` and
``channels.access`` loggers always carry three attributes, so a JSON (or any) formatter can
rely on them::

    record.channel          the channel of the message being handled, or None
    record.reply_channel    the connection's reply channel, or None
    record.consumer         ``module.qualname`` of the consumer running, or None

The worker binds them for each message it runs, the interface server for each connection
(:func:`bind`); they live in a context variable, so every record logged while handling that
message or connection, from any of those loggers, gets them. ``extra=`` values passed to a
single call win.
"""

from __future__ import annotations

import contextvars
import json
import logging
from typing import Any

#: The loggers whose records carry the fields: every logger of the package (a filter on a
#: logger applies to the records logged on that very logger, not its children).
LOGGERS = (
    "channels",
    "channels.access",
    "channels.binding",
    "channels.delay",
    "channels.generic",
    "channels.handler",
    "channels.interface",
    "channels.layers",
    "channels.layers.ipc",
    "channels.layers.redis",
    "channels.message",
    "channels.metrics",
    "channels.offload",
    "channels.routing",
    "channels.server",
    "channels.sessions",
    "channels.test",
    "channels.worker",
    "channels.wsgi",
)
FIELDS = ("channel", "reply_channel", "consumer")

_current: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "channels_log_fields", default=None
)


def bind(**fields: Any) -> None:
    """Set fields (``channel=``, ``reply_channel=``, ``consumer=``) for every record logged
    from now on in the current context (a worker's message, a connection's task)."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown log fields {sorted(unknown)!r}; use {FIELDS!r}")
    _current.set({**(_current.get() or {}), **fields})


def current() -> dict[str, Any]:
    """The fields bound in this context."""
    return dict(_current.get() or {})


class ContextFields(logging.Filter):
    """Adds the bound fields (None when unbound) to each record; never filters one out."""

    def filter(self, record: logging.LogRecord) -> bool:
        bound = _current.get() or {}
        for name in FIELDS:
            if not hasattr(record, name):
                setattr(record, name, bound.get(name))
        return True


_FILTER = ContextFields()

#: Extra attributes of access records, included by :class:`JsonFormatter` when present.
ACCESS_FIELDS = ("status_code", "duration")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``time``, ``level``, ``logger``, ``message``, the
    :data:`FIELDS` (None when unbound), ``status_code`` and ``duration`` on access records,
    and ``exception`` when there is a traceback. Use it in ``LOGGING``::

        "formatters": {"json": {"()": "channels.log_context.JsonFormatter"}}
    """

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            document[name] = getattr(record, name, None)
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                document[name] = getattr(record, name)
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, default=str)


def install() -> None:
    """Attach the filter to :data:`LOGGERS` (idempotent; done when this module loads)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


install()

__all__ = ["FIELDS", "LOGGERS", "ContextFields", "JsonFormatter", "bind", "current", "install"]
