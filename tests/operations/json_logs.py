"""A JSON log formatter for the structured-logging tests: one JSON object per record, with
the fields of :mod:`channels.log_context` ("MISSING" when a record lacks one)."""

from __future__ import annotations

import json
import logging

MISSING = "MISSING"
FIELDS = ("channel", "reply_channel", "consumer", "status_code")


class JsonFormatter(logging.Formatter):
    """``{"logger", "level", "message", "channel", "reply_channel", "consumer", ...}``."""

    def format(self, record: logging.LogRecord) -> str:
        document = {
            "logger": record.name,
            "level": record.levelname,
            "message": record.getMessage(),
            **{name: getattr(record, name, MISSING) for name in FIELDS},
        }
        return "JSON " + json.dumps(document, default=str)


def logging_settings() -> dict[str, object]:
    """``LOGGING`` sending every ``channels`` record, INFO and up, through the formatter."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json"}},
        "loggers": {"channels": {"handlers": ["json"], "level": "INFO", "propagate": False}},
    }
