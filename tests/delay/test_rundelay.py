"""``manage.py rundelay`` end to end: real subprocesses on Redis and a migrated SQLite file,
the test sending to ``asgi.delay`` and receiving on the target channels through its own
layer on the same prefix."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test.utils import override_settings

from tests.deadlines import receive_within

from .conftest import READY_LINE, DelaySite, wait_until

pytestmark = pytest.mark.redis

#: How far from its due time a delayed message may arrive.
TOLERANCE = 0.1


def receive(layer: Any, channels: list[str], timeout: float) -> tuple[str, dict[str, Any]]:
    """The next message on ``channels``; fails the test after ``timeout`` seconds."""
    return receive_within(layer, channels, timeout)


def delay_message(channel: str, milliseconds: int, content: dict[str, Any]) -> dict[str, Any]:
    return {"channel": channel, "delay": milliseconds, "content": content}


def test_a_delayed_message_arrives_on_time(delay_site: DelaySite) -> None:
    layer = delay_site.layer
    target = layer.new_channel("test.delayed!")
    prefix = target[: target.index("!") + 1]
    with delay_site.rundelay("-v", "2") as server:
        server.wait_for_line(READY_LINE)
        sent = time.monotonic()
        layer.send("asgi.delay", delay_message(target, 1000, {"n": 1, "raw": b"\x00\xff"}))
        channel, message = receive(layer, [prefix], timeout=5)
        elapsed = time.monotonic() - sent
        assert channel == target
        assert message == {"n": 1, "raw": b"\x00\xff"}
        assert abs(elapsed - 1.0) <= TOLERANCE, (
            f"arrived after {elapsed:.3f} s, due at 1 s; rundelay said:\n{server.output}"
        )
        assert server.terminate() == 0, server.output


def test_a_sooner_message_is_not_held_behind_a_later_one(delay_site: DelaySite) -> None:
    # The server is waiting for the 1.5 s message when the 0.3 s one comes in.
    layer = delay_site.layer
    target = layer.new_channel("test.delayed!")
    prefix = target[: target.index("!") + 1]
    delays = [1500, 300, 900]
    with delay_site.rundelay("--sleep", "5", "-v", "2") as server:
        server.wait_for_line(READY_LINE)
        sent = time.monotonic()
        for milliseconds in delays:
            layer.send("asgi.delay", delay_message(target, milliseconds, {"ms": milliseconds}))
        for expected in sorted(delays):
            _, message = receive(layer, [prefix], timeout=5)
            elapsed = time.monotonic() - sent
            assert message == {"ms": expected}
            assert abs(elapsed - expected / 1000) <= TOLERANCE, (
                f"the {expected} ms message arrived after {elapsed:.3f} s; rundelay said:\n"
                f"{server.output}"
            )
        assert server.terminate() == 0, server.output


def test_a_pending_message_survives_a_rundelay_crash(delay_site: DelaySite) -> None:
    layer = delay_site.layer
    target = layer.new_channel("test.delayed!")
    prefix = target[: target.index("!") + 1]
    with delay_site.rundelay("-v", "2") as first:
        first.wait_for_line(READY_LINE)
        sent = time.monotonic()
        layer.send("asgi.delay", delay_message(target, 2500, {"survived": True}))
        first.wait_for_line("stored a message")
        first.kill()
    assert delay_site.stored() == 1
    assert layer.receive([prefix]) == (None, None)
    with delay_site.rundelay() as second:
        channel, message = receive(layer, [prefix], timeout=15)
        elapsed = time.monotonic() - sent
        assert (channel, message) == (target, {"survived": True})
        assert elapsed >= 2.5 - TOLERANCE, f"sent after {elapsed:.3f} s, before it was due"
        assert second.terminate() == 0, second.output
    wait_until(lambda: delay_site.stored() == 0, 5, "the delete of the sent row")


def test_sigterm_stops_rundelay_cleanly_and_keeps_what_is_pending(
    delay_site: DelaySite,
) -> None:
    layer = delay_site.layer
    target = layer.new_channel("test.delayed!")
    prefix = target[: target.index("!") + 1]
    with delay_site.rundelay("-v", "2") as first:
        first.wait_for_line(READY_LINE)
        layer.send("asgi.delay", delay_message(target, 1500, {"kept": 1}))
        first.wait_for_line("stored a message")
        started = time.monotonic()
        assert first.terminate() == 0, first.output
        # It stops within one --sleep (1 s) plus the interpreter's exit.
        assert time.monotonic() - started < 5
        first.wait_for_line("delay server stopped")
    with delay_site.rundelay() as second:
        assert receive(layer, [prefix], timeout=15) == (target, {"kept": 1})
        assert second.terminate() == 0, second.output


def test_a_full_channel_delays_the_message_instead_of_dropping_it(
    small_delay_site: DelaySite,
) -> None:
    layer = small_delay_site.layer
    target = f"test.full.{uuid.uuid4().hex}"  # a normal channel: capacity 2
    layer.send(target, {"filler": 1})
    layer.send(target, {"filler": 2})
    with small_delay_site.rundelay() as server:
        server.wait_for_line(READY_LINE)
        layer.send("asgi.delay", delay_message(target, 100, {"delayed": True}))
        server.wait_for_line("is full", timeout=10)
        assert small_delay_site.stored() == 1
        assert receive(layer, [target], timeout=5)[1] == {"filler": 1}
        assert receive(layer, [target], timeout=5)[1] == {"filler": 2}
        # Retried one second after the failed attempt.
        assert receive(layer, [target], timeout=5)[1] == {"delayed": True}
        assert server.terminate() == 0, server.output
    wait_until(lambda: small_delay_site.stored() == 0, 5, "the delete of the sent row")


def test_invalid_delay_messages_are_logged_and_skipped(delay_site: DelaySite) -> None:
    layer = delay_site.layer
    target = layer.new_channel("test.delayed!")
    prefix = target[: target.index("!") + 1]
    invalid = [
        {},
        {"channel": target, "content": {}},
        {"channel": target, "delay": "soon", "content": {}},
        {"channel": target, "delay": -5, "content": {}},
        {"channel": "no spaces allowed", "delay": 10, "content": {}},
        {"channel": target, "delay": 10, "content": "not a dict"},
    ]
    with delay_site.rundelay() as server:
        server.wait_for_line(READY_LINE)
        for message in invalid:
            layer.send("asgi.delay", message)
        layer.send("asgi.delay", delay_message(target, 50, {"valid": True}))
        assert receive(layer, [prefix], timeout=5) == (target, {"valid": True})
        server.wait_for_line("invalid message", occurrences=len(invalid))
        assert server.alive(), server.output
        assert server.terminate() == 0, server.output
    assert delay_site.stored() == 0


def test_two_rundelay_processes_send_each_message_once(delay_site: DelaySite) -> None:
    layer = delay_site.layer
    target = layer.new_channel("test.many!")
    prefix = target[: target.index("!") + 1]
    count = 60
    with delay_site.rundelay("--sleep", "0.2") as one, delay_site.rundelay("--sleep", "0.2") as two:
        one.wait_for_line(READY_LINE)
        two.wait_for_line(READY_LINE)
        for n in range(count):
            layer.send("asgi.delay", delay_message(target, 300 + 10 * (n % 5), {"n": n}))
        received = [receive(layer, [prefix], timeout=10)[1]["n"] for _ in range(count)]
        assert sorted(received) == list(range(count))
        # Each row is deleted in the transaction that sends it: once all are committed,
        # no send is in flight and nothing more can come.
        wait_until(lambda: delay_site.stored() == 0, 5, "the last deletes")
        assert layer.receive([prefix], block=True, timeout=0.5) == (None, None)
        assert one.terminate() == 0, one.output
        assert two.terminate() == 0, two.output


def test_rundelay_refuses_the_in_memory_layer(delay_installed: None) -> None:
    layers = {"default": {"BACKEND": "channels.layers.inmemory.InMemoryChannelLayer"}}
    with (
        override_settings(CHANNEL_LAYERS=layers),
        pytest.raises(CommandError, match="this process's memory"),
    ):
        call_command("rundelay", verbosity=0)


def test_rundelay_names_an_unknown_layer(delay_installed: None) -> None:
    with pytest.raises(CommandError, match="no channel layer 'nope'"):
        call_command("rundelay", layer="nope", verbosity=0)


def test_rundelay_says_to_migrate_when_its_table_is_missing(delay_site: DelaySite) -> None:
    from tests.processes import manage

    manage(delay_site.env, "migrate", "channels_delay", "zero", "--noinput", "-v", "0")
    with delay_site.rundelay() as server:
        assert server.wait(30) != 0
        assert "migrate channels_delay" in server.output
