"""``manage.py runworker``: command errors in process, and a real worker subprocess on Redis
with the test playing interface server (``docs/message-spec.rst`` messages, replies read from
Redis)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.management import CommandError, call_command

from channels.management.commands.runworker import EXIT_ABANDONED
from tests.processes import ROOT
from tests.runworker_process import RunworkerProcess
from tests.workers import http_request, new_notify, read_response, receive, receive_many, routed


def test_runworker_refuses_the_in_memory_layer() -> None:
    with routed([]), pytest.raises(CommandError, match="this process's memory"):
        call_command("runworker", verbosity=0)


def test_runworker_names_an_unknown_layer() -> None:
    with pytest.raises(CommandError, match="no channel layer 'nope'"):
        call_command("runworker", layer="nope", verbosity=0)


def test_runworker_reports_a_broken_backend_as_a_command_error() -> None:
    broken = {"default": {"BACKEND": "no.such.Layer"}}
    from django.test.utils import override_settings

    with override_settings(CHANNEL_LAYERS=broken), pytest.raises(CommandError, match=r"no\.such"):
        call_command("runworker", verbosity=0)


# -- a real runworker process on Redis -------------------------------------------------------


def redis_layer(redis_url: str, prefix: str, capacity: int = 100) -> Any:
    from channels.layers.redis import RedisChannelLayer

    return RedisChannelLayer(hosts=[redis_url], prefix=prefix, capacity=capacity)


@pytest.fixture(scope="module")
def site(redis_url: str) -> Iterator[tuple[Any, RunworkerProcess]]:
    """One runworker process (2 threads) and the interface-server side's layer, on a prefix of
    their own that is flushed afterwards."""
    prefix = f"test:worker:{uuid.uuid4().hex}:"
    layer = redis_layer(redis_url, prefix, capacity=1000)
    with RunworkerProcess(prefix, redis_url, "-v", "2", "--threads", "2") as worker:
        try:
            worker.wait_ready()
            yield layer, worker
            assert worker.process.poll() is None, f"the worker died:\n{worker.output}"
            assert worker.terminate() == 0, worker.output
        finally:
            layer.flush()
            layer.close()


def get(layer: Any, path: str, **content: Any) -> tuple[int, dict[bytes, bytes], bytes]:
    message, reply = http_request(layer, path, **content)
    layer.send("http.request", message)
    return read_response(layer, reply)


@pytest.mark.redis
def test_view_hands_a_background_task_to_the_worker(site: Any) -> None:
    layer, worker = site
    notify, prefix = new_notify(layer)
    status, _, body = get(layer, "/task/?" + urlencode({"value": 3, "notify": notify}))
    assert (status, body) == (200, b"queued")
    report = receive(layer, prefix)[1]
    assert report["value"] == 3
    assert report["channel"] == "a_task_channel"
    assert report["pid"] == worker.process.pid


@pytest.mark.redis
def test_rendered_template_arrives_from_the_worker(site: Any) -> None:
    layer, _ = site
    status, headers, body = get(layer, "/hello/?name=Grace")
    assert status == 200
    assert headers[b"content-type"] == b"text/html; charset=utf-8"
    assert b"<h1>Hello, Grace!</h1>" in body
    assert b"Rendered for /hello/" in body


@pytest.mark.redis
def test_redirect_arrives_from_the_worker(site: Any) -> None:
    layer, _ = site
    status, headers, _ = get(layer, "/old/")
    assert status == 302
    assert headers[b"location"] == b"/hello/?name=redirected"


@pytest.mark.redis
def test_form_post_is_parsed_by_django(site: Any) -> None:
    layer, _ = site
    body = urlencode({"name": "Ada", "age": "36"}).encode()
    headers = [
        [b"host", b"testserver"],
        [b"content-type", b"application/x-www-form-urlencoded"],
        [b"content-length", str(len(body)).encode()],
    ]
    status, _, content = get(layer, "/form/", method="POST", body=body, headers=headers)
    assert (status, content) == (200, b'{"name": "Ada", "age": 36}')
    bad = urlencode({"name": "Ada", "age": "old"}).encode()
    headers[2] = [b"content-length", str(len(bad)).encode()]
    status, _, content = get(layer, "/form/", method="POST", body=bad, headers=headers)
    assert status == 400
    assert b"Enter a whole number." in content


@pytest.mark.redis
def test_view_that_raises_gets_a_500_at_once(site: Any) -> None:
    layer, _worker = site
    started = time.monotonic()
    status, _, _ = get(layer, "/boom/")
    assert status == 500
    assert time.monotonic() - started < 5
    # Django logs the view's traceback to django.request (console only with DEBUG).


@pytest.mark.redis
def test_consumer_that_raises_gets_the_client_a_500_at_once(site: Any) -> None:
    layer, worker = site
    started = time.monotonic()
    status, _, body = get(layer, "/consumer-error/")
    assert (status, body) == (500, b"Internal Server Error")
    assert time.monotonic() - started < 5
    worker.wait_for_line("this consumer always fails")


@pytest.mark.redis
def test_consume_later_is_retried_by_the_worker(site: Any) -> None:
    layer, _ = site
    notify, prefix = new_notify(layer)
    layer.send("retry_channel", {"notify": notify, "times": 2})
    assert receive(layer, prefix)[1] == {"retries": 2}


@pytest.mark.redis
def test_unrouted_message_is_logged_and_the_worker_survives(site: Any) -> None:
    layer, worker = site
    notify, _prefix = new_notify(layer)
    layer.send("filtered_channel", {"notify": notify, "path": "/nowhere/"})
    worker.wait_for_line("no route for a message on 'filtered_channel' with path '/nowhere/'")
    status, _, _ = get(layer, "/hello/")
    assert status == 200
    assert worker.process.poll() is None


@pytest.mark.redis
def test_verbosity_2_logs_each_message_channel_and_consumer(site: Any) -> None:
    layer, worker = site
    notify, prefix = new_notify(layer)
    layer.send("a_task_channel", {"notify": notify, "value": 1})
    receive(layer, prefix)
    worker.wait_for_line("a_task_channel -> tests.project.consumers.some_task")


@pytest.mark.redis
def test_200_async_consumers_await_concurrently_in_one_worker(
    site: Any, record_property: Any
) -> None:
    layer, _ = site
    notify, prefix = new_notify(layer)
    started = time.monotonic()
    for n in range(200):
        layer.send("async.sleep", {"notify": notify, "n": n, "seconds": 0.05})
    reports = receive_many(layer, prefix, 200, timeout=30)
    elapsed = time.monotonic() - started
    record_property("200 x 50 ms async consumers, seconds", round(elapsed, 3))
    print(f"\n200 async consumers awaiting 50 ms each took {elapsed:.3f} s (serial: 10 s)")
    assert sorted(r["n"] for r in reports) == list(range(200))
    assert elapsed < 5, elapsed


@pytest.mark.redis
def test_sigterm_lets_the_consumer_in_flight_finish_and_exits_0(redis_url: str) -> None:
    prefix = f"test:worker:{uuid.uuid4().hex}:"
    layer = redis_layer(redis_url, prefix)
    try:
        with RunworkerProcess(prefix, redis_url, "--only-channels", "slow_channel") as worker:
            worker.wait_ready()
            notify, reply_prefix = new_notify(layer)
            layer.send("slow_channel", {"notify": notify, "seconds": 1.0})
            assert receive(layer, reply_prefix)[1] == {"started": True}
            assert worker.terminate(timeout=20) == 0, worker.output
            assert receive(layer, reply_prefix, timeout=1)[1] == {"done": True}
            assert "SIGTERM" in worker.output
    finally:
        layer.flush()
        layer.close()


# -- how runworker ends --------------------------------------------------------------------------


def run_exit_case(case: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.worker.runworker_exit", case],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_runworker_with_a_mocked_worker_returns_instead_of_exiting() -> None:
    # 1.x tests patch runworker's Worker; a mock's `abandoned` is truthy but not a count.
    done = run_exit_case("mock")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "returned, run called 1 time(s)" in done.stdout, done.stdout + done.stderr


def test_runworker_exits_1_at_once_when_consumers_were_abandoned() -> None:
    done = run_exit_case("abandoned")
    assert done.returncode == EXIT_ABANDONED == 1, done.stdout + done.stderr
    assert "consumer started" in done.stdout
    assert "abandoned 1" in done.stdout
    assert "returned" not in done.stdout
    assert "1 consumer(s) abandoned at shutdown; exiting now" in done.stderr
