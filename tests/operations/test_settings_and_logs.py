"""The operations settings and options refuse bad values clearly, and log records carry
their structured fields."""

from __future__ import annotations

import io
import json
import logging
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test.utils import override_settings

from channels import log_context
from channels.application import make_bridge
from channels.asgi import channel_layers
from channels.metrics import parse_address
from channels.operations_checks import check_operations_settings
from tests.processes import project_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("settings", "ident", "text"),
    [
        ({"CHANNELS_HEARTBEAT_INTERVAL": 0}, "channels.E006", "got 0"),
        ({"CHANNELS_HEARTBEAT_INTERVAL": "5"}, "channels.E006", "got '5'"),
        ({"CHANNELS_METRICS_ADDRESS": "9100"}, "channels.E007", "got '9100'"),
        ({"CHANNELS_METRICS_ADDRESS": "host:99999"}, "channels.E007", "'host:99999'"),
    ],
)
def test_bad_operations_settings_are_system_check_errors(
    settings: dict[str, object], ident: str, text: str
) -> None:
    with override_settings(**settings):
        [error] = check_operations_settings()
        assert error.id == ident
        assert text in error.msg
        with pytest.raises(ImproperlyConfigured, match=re.escape(text)):
            make_bridge(channel_layers["default"])


def test_good_operations_settings_pass() -> None:
    with override_settings(CHANNELS_HEARTBEAT_INTERVAL=None, CHANNELS_METRICS_ADDRESS="[::1]:0"):
        assert check_operations_settings() == []
    assert parse_address("[::1]:9100") == ("::1", 9100)
    assert parse_address("0.0.0.0:9100") == ("0.0.0.0", 9100)


def runworker(tmp_path: Path, redis_url: str, prefix: str, *args: str) -> str:
    env = project_env(redis_url, prefix, tmp_path / "db.sqlite3")
    done = subprocess.run(
        [sys.executable, "-m", "django", "runworker", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    return done.stderr


@pytest.mark.redis
def test_runworker_refuses_a_bad_metrics_address(
    tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    err = runworker(tmp_path, redis_url, redis_prefix, "--metrics", "localhost")
    assert "CommandError: a metrics address must look like '127.0.0.1:9100'" in err
    assert "Traceback" not in err


@pytest.mark.redis
def test_runworker_says_when_the_metrics_port_is_taken(
    tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        err = runworker(tmp_path, redis_url, redis_prefix, "--metrics", address)
    assert f"cannot serve metrics on {address!r}" in err
    assert "Traceback" not in err


def test_every_channels_logger_gives_its_records_the_fields() -> None:
    source_loggers = {
        name
        for path in (ROOT / "channels").rglob("*.py")
        for name in re.findall(r'getLogger\("(channels[\w.]*)"\)', path.read_text())
    }
    assert source_loggers <= set(log_context.LOGGERS)


def test_bound_fields_reach_records_and_the_json_formatter() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(log_context.JsonFormatter())
    logger = logging.getLogger("channels.worker")
    logger.addHandler(handler)
    try:

        def in_a_message() -> None:
            log_context.bind(channel="jobs", reply_channel=None, consumer="app.consumers.run")
            logger.warning("working on %s", "it")

        import contextvars

        contextvars.Context().run(in_a_message)
        logger.warning("outside", extra={"status_code": 200})
    finally:
        logger.removeHandler(handler)
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["message"] == "working on it"
    assert (inside["channel"], inside["consumer"]) == ("jobs", "app.consumers.run")
    assert inside["reply_channel"] is None
    assert (outside["channel"], outside["status_code"]) == (None, 200)
    with pytest.raises(TypeError, match="unknown log fields"):
        log_context.bind(user="x")
