"""A worker counts what it runs per channel and binds its log fields per message (a Worker in
a thread, on the in-memory layer)."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

from channels.asgi import channel_layers
from channels.exceptions import ConsumeLater
from channels.message import Message
from channels.routing import route
from tests.workers import new_notify, receive, routed, running_worker


def works(message: Message) -> None:
    message.reply_channel.send({"done": True})


def raises(message: Message) -> None:
    message.reply_channel.send({"done": False})
    raise RuntimeError("this consumer always fails")


def later(message: Message) -> None:
    if message.content.get("__retries__", 0) == 0:
        raise ConsumeLater()
    message.reply_channel.send({"done": True})


class Unrouted(logging.Handler):
    """Sets ``seen`` when the worker logs a message it could not route."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "no route" in record.getMessage():
            self.seen.set()


ROUTING = [
    route("jobs.ok", works),
    route("jobs.bad", raises),
    route("jobs.later", later),
    route("jobs.filtered", works, path=r"^/only/$"),
]


def test_handled_and_failed_are_counted_per_channel_with_log_fields(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with routed(ROUTING):
        layer = channel_layers["default"]
        reply, prefix = new_notify(layer)
        with running_worker(layer) as worker, caplog.at_level(logging.INFO, "channels"):
            for channel in ("jobs.ok", "jobs.ok", "jobs.bad", "jobs.later"):
                layer.send(channel, {"reply_channel": reply})
                receive(layer, prefix)
            unrouted_seen = Unrouted()
            logging.getLogger("channels.worker").addHandler(unrouted_seen)
            try:
                layer.send("jobs.filtered", {"reply_channel": reply, "path": "/elsewhere/"})
                assert unrouted_seen.seen.wait(10), "the worker never logged the unrouted message"
            finally:
                logging.getLogger("channels.worker").removeHandler(unrouted_seen)
            counts = dict(worker.meter.counts)
    # [received, handled, failed]; ConsumeLater is an answer, not a failure.
    assert counts["jobs.ok"] == [2, 2, 0]
    assert counts["jobs.bad"] == [1, 0, 1]
    assert counts["jobs.later"] == [2, 2, 0]
    assert "jobs.filtered" not in counts
    assert worker.meter.totals() == {"handled": 4, "failed": 1}

    failure = next(r for r in caplog.records if "raised on a message" in r.getMessage())
    fields: dict[str, Any] = {n: getattr(failure, n) for n in ("channel", "reply_channel")}
    assert fields == {"channel": "jobs.bad", "reply_channel": reply}
    assert failure.consumer == f"{__name__}.raises"  # type: ignore[attr-defined]
    unrouted = next(r for r in caplog.records if "no route" in r.getMessage())
    assert (unrouted.channel, unrouted.reply_channel) == ("jobs.filtered", reply)  # type: ignore[attr-defined]
