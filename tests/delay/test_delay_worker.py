"""The delay server (``channels.delay.worker.Worker``) and ``DelayedMessage`` in process:
the in-memory layer, the test database, the server running in a thread."""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.utils import timezone

from channels.delay.models import DelayedMessage, InvalidDelayMessage
from channels.delay.worker import Worker
from channels.layers.inmemory import InMemoryChannelLayer
from tests.deadlines import next_message
from tests.workers import Background

pytestmark = pytest.mark.usefixtures("delay_installed")


@contextmanager
def running(layer: Any, **options: Any) -> Iterator[Worker]:
    """A delay server in a thread until the block ends."""
    options.setdefault("database_sleep_duration", 0.2)
    worker = Worker(layer, signal_handlers=False, **options)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            worker.run()
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    thread = threading.Thread(target=run, name="test-delay-server", daemon=True)
    thread.start()
    try:
        assert worker.listening.wait(10), "the delay server did not start within 10 s"
        yield worker
    finally:
        worker.stop()
        thread.join(10)
        assert not thread.is_alive(), "the delay server did not stop within 10 s"
    assert not errors, errors


def receive(layer: Any, channel: str, timeout: float = 5.0) -> dict[str, Any]:
    return next_message(layer, channel, timeout)


# -- the model --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ({"channel": "x", "content": {}}, "missing 'delay'"),
        ({"delay": 1}, "missing 'channel', 'content'"),
        ({"channel": "x", "delay": "1", "content": {}}, "'delay' must be a number"),
        ({"channel": "x", "delay": False, "content": {}}, "'delay' must be a number"),
        ({"channel": "x", "delay": -1, "content": {}}, "must not be negative"),
        ({"channel": "a b", "delay": 1, "content": {}}, "bad 'channel'"),
        ({"channel": 5, "delay": 1, "content": {}}, "bad 'channel'"),
        ({"channel": "x", "delay": 1, "content": []}, "'content' must be a dict"),
        ({"channel": "x", "delay": 1, "content": {"v": object()}}, "bad 'content'"),
        ({"channel": "x", "delay": 1, "content": {"v": "x" * 2000}}, "bad 'content'"),
    ],
)
def test_an_invalid_delay_message_says_what_is_wrong(message: Any, error: str) -> None:
    with pytest.raises(InvalidDelayMessage, match=error):
        DelayedMessage.from_message(message, max_size=1000)


def test_a_delay_message_becomes_a_row_due_that_much_later() -> None:
    start = timezone.now()
    row = DelayedMessage.from_message(
        {"channel": "x", "delay": 2500, "content": {"b": b"\xff", "s": "é"}}, now=start
    )
    assert row.channel_name == "x"
    assert row.due_date == start + datetime.timedelta(milliseconds=2500)
    assert row.get_content() == {"b": b"\xff", "s": "é"}
    row.delay = 10_000
    assert 9_900 <= row.delay <= 10_000


def test_sending_a_row_delivers_it_and_deletes_it(transactional_db: None) -> None:
    layer = InMemoryChannelLayer()
    row = DelayedMessage.from_message({"channel": "x", "delay": 0, "content": {"n": 1}})
    row.save()
    assert row.send(layer) is True
    assert layer.receive(["x"]) == ("x", {"n": 1})
    assert not DelayedMessage.objects.exists()
    # Another server that read the same row finds it claimed already.
    assert row.send(layer) is False
    assert layer.receive(["x"]) == (None, None)


def test_sending_to_a_full_channel_keeps_the_row_for_later(transactional_db: None) -> None:
    layer = InMemoryChannelLayer(capacity=1)
    layer.send("x", {"filler": True})
    row = DelayedMessage.from_message({"channel": "x", "delay": 0, "content": {"n": 1}})
    row.save()
    before = timezone.now()
    assert row.send(layer, requeue_delay=5000) is False
    stored = DelayedMessage.objects.get()
    assert stored.due_date >= before + datetime.timedelta(milliseconds=4900)
    assert not DelayedMessage.objects.is_due().exists()


# -- the server -------------------------------------------------------------------------------


def test_the_server_delivers_after_the_delay(transactional_db: None) -> None:
    layer = InMemoryChannelLayer()
    with running(layer):
        sent = time.monotonic()
        layer.send("asgi.delay", {"channel": "later", "delay": 300, "content": {"n": 1}})
        assert receive(layer, "later") == {"n": 1}
        assert 0.3 - 0.05 <= time.monotonic() - sent <= 0.3 + 0.1
    assert not DelayedMessage.objects.exists()


def test_the_server_sends_rows_stored_before_it_started(transactional_db: None) -> None:
    layer = InMemoryChannelLayer()
    for n in range(3):
        DelayedMessage.from_message({"channel": "later", "delay": 0, "content": {"n": n}}).save()
    with running(layer):
        assert [receive(layer, "later")["n"] for _ in range(3)] == [0, 1, 2]


def test_the_server_skips_invalid_messages_and_carries_on(
    transactional_db: None, caplog: pytest.LogCaptureFixture
) -> None:
    layer = InMemoryChannelLayer()
    with running(layer):
        layer.send("asgi.delay", {"channel": "later"})
        layer.send("asgi.delay", {"channel": "later", "delay": 1, "content": "text"})
        layer.send("asgi.delay", {"channel": "later", "delay": 1, "content": {"ok": 1}})
        assert receive(layer, "later") == {"ok": 1}
    invalid = [r for r in caplog.records if "invalid message on asgi.delay" in r.getMessage()]
    assert len(invalid) == 2


class LogEvent(logging.Handler):
    """Set once ``channels.delay`` logs a message containing ``text``."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.seen.set()


def test_the_server_retries_a_full_channel_until_it_has_room(transactional_db: None) -> None:
    layer = InMemoryChannelLayer(capacity=1)
    layer.send("later", {"filler": True})
    full = LogEvent("is full")
    logger = logging.getLogger("channels.delay")
    logger.addHandler(full)
    try:
        with running(layer, requeue_delay=200):
            layer.send("asgi.delay", {"channel": "later", "delay": 1, "content": {"n": 1}})
            assert full.seen.wait(5), "the server never met the full channel"
            assert layer.receive(["later"]) == ("later", {"filler": True})
            assert receive(layer, "later") == {"n": 1}
    finally:
        logger.removeHandler(full)
    assert not DelayedMessage.objects.exists()


def test_setting_termed_stops_a_running_server(transactional_db: None) -> None:
    # The 1.x way to stop the delay worker from code, as for the main worker.
    layer = InMemoryChannelLayer()
    worker = Worker(layer, signal_handlers=False, database_sleep_duration=0.2)
    with Background(worker.run, "test-delay-termed", stop=worker.stop) as running:
        assert worker.listening.wait(10), "the delay server did not start within 10 s"
        layer.send("asgi.delay", {"channel": "later", "delay": 1, "content": {"n": 1}})
        assert receive(layer, "later") == {"n": 1}
        worker.termed = True
        assert running.ended_within(5), "setting termed did not stop the delay server in 5 s"


def test_the_server_refuses_a_bad_sleep_duration() -> None:
    with pytest.raises(ValueError, match="database_sleep_duration must be a positive number"):
        Worker(InMemoryChannelLayer(), database_sleep_duration=0)
