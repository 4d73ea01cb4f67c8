"""Outage bookkeeping of the Redis layer's blocking pops (:mod:`channels.layers.outages`)."""

from __future__ import annotations

import logging

import pytest

from channels.layers import outages
from channels.layers.outages import Outages


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records]


def test_an_outage_is_logged_once_per_server_however_many_places_fail(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="channels.layers.redis")
    book = Outages()
    error = ConnectionError("refused")
    pauses = [book.failed("cluster A", ("slot", 1), error) for _ in range(4)]
    book.failed("cluster A", ("slot", 2), error)
    assert pauses == [0.1, 0.2, 0.4, 0.8]  # the backoff is per place
    assert messages(caplog) == ["Redis (cluster A) unreachable, retrying with backoff: refused"]

    book.succeeded("cluster A", ("slot", 1))
    assert len(caplog.records) == 1  # slot 2 still fails: not back yet
    book.succeeded("cluster A", ("slot", 2))
    assert messages(caplog)[1:] == ["Redis (cluster A) reachable again"]
    book.succeeded("cluster A", ("slot", 2))
    assert len(caplog.records) == 2


def test_servers_are_logged_separately(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="channels.layers.redis")
    book = Outages()
    book.failed("server one", "keys", ConnectionError("down"))
    book.failed("server two", "keys", ConnectionError("down"))
    book.succeeded("server one", "keys")
    assert messages(caplog) == [
        "Redis (server one) unreachable, retrying with backoff: down",
        "Redis (server two) unreachable, retrying with backoff: down",
        "Redis (server one) reachable again",
    ]


def test_a_place_nobody_retries_is_forgotten(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.WARNING, logger="channels.layers.redis")
    book = Outages()
    book.failed("server", "old keys", ConnectionError("down"))
    # Past FORGET_AFTER, a new outage on the server is news again.
    monkeypatch.setattr(outages, "FORGET_AFTER", -1.0)
    book.failed("server", "new keys", ConnectionError("down again"))
    assert messages(caplog)[-1] == "Redis (server) unreachable, retrying with backoff: down again"
