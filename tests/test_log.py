"""``channels.log.setup_logger``, the 1.x helper, beside the commands' own logging set-up."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

import channels.log
from channels.log import DAPHNE_LOGGERS, setup_logger
from channels.management.cross_process import setup_logging

TOUCHED = ("channels", "django.channels", *DAPHNE_LOGGERS)


@pytest.fixture
def stream(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """``channels.log.handler`` swapped for one writing to a StringIO, as 1.x tests did;
    every logger the test touches is put back as it was."""
    saved = {
        name: (list(lg.handlers), lg.level, lg.propagate)
        for name, lg in ((name, logging.getLogger(name)) for name in TOUCHED)
    }
    output = io.StringIO()
    monkeypatch.setattr(channels.log, "handler", logging.StreamHandler(output))
    yield output
    for name, (handlers, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


def test_setup_logger_attaches_the_module_handler_once(stream: io.StringIO) -> None:
    logger = setup_logger("django.channels")
    assert setup_logger("django.channels") is logger
    assert logger.handlers.count(channels.log.handler) == 1
    assert isinstance(channels.log.handler, logging.StreamHandler)
    assert (logger.level, logger.propagate) == (logging.INFO, False)
    for name in DAPHNE_LOGGERS:
        daphne = logging.getLogger(name)
        assert daphne.handlers.count(channels.log.handler) == 1
        assert daphne.level == logging.INFO
    logger.info("hello")
    logger.debug("not at verbosity 1")
    assert stream.getvalue().count("hello") == 1
    assert "not at verbosity 1" not in stream.getvalue()


def test_verbosity_2_logs_debug(stream: io.StringIO) -> None:
    logger = setup_logger("django.channels", verbosity=2)
    assert logger.level == logging.DEBUG
    assert logging.getLogger("daphne.server").level == logging.DEBUG
    logger.debug("details")
    assert "details" in stream.getvalue()


@pytest.mark.parametrize("first", ["setup_logger", "setup_logging"])
def test_setup_logger_and_the_commands_logging_each_print_a_record_once(
    stream: io.StringIO, first: str
) -> None:
    # runworker/rundelay call setup_logging; 1.x code in the project may call setup_logger
    # too, before or after, for its own logger or for "channels" itself.
    calls = [lambda: setup_logger("django.channels"), lambda: setup_logging(1)]
    if first == "setup_logging":
        calls.reverse()
    for call in calls:
        call()
    setup_logger("channels")
    setup_logging(1)
    logging.getLogger("channels.worker").info("from the worker")
    logging.getLogger("django.channels").info("from 1.x code")
    logging.getLogger("daphne.server").info("from daphne")
    logging.getLogger("channels.worker").debug("not at verbosity 1")
    output = stream.getvalue()
    assert output.count("from the worker") == 1, output
    assert output.count("from 1.x code") == 1, output
    assert output.count("from daphne") == 1, output
    assert "not at verbosity 1" not in output


def test_the_default_handler_writes_to_the_current_stderr(
    stream: io.StringIO, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.undo()  # the real module handler
    logger = setup_logger("django.channels")
    logger.info("to stderr")
    assert "INFO django.channels: to stderr" in capsys.readouterr().err
