"""The worker, in process: a real Worker in a thread over a real in-memory layer."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

import pytest

from channels import Channel
from channels.asgi import channel_layers
from channels.exceptions import ConsumeLater, WebsocketCloseException
from channels.routing import route
from channels.signals import consumer_finished, consumer_started
from channels.worker import Worker
from tests.workers import (
    ROUTING,
    Background,
    http_request,
    new_notify,
    read_response,
    receive,
    receive_many,
    routed,
    running_worker,
)

#: Gates that tests open to let a blocked consumer finish, by name.
gates: dict[str, threading.Event] = {}


def gated(message: Any) -> None:
    """Waits (bounded) for the test to open its gate."""
    Channel(message["notify"]).send({"started": message["n"]}, immediately=True)
    assert gates[message["gate"]].wait(10), "the test never opened the gate"
    Channel(message["notify"]).send({"done": message["n"]})


async def async_gated(message: Any) -> None:
    await Channel(message["notify"]).asend({"started": message["n"]}, immediately=True)
    opened = await asyncio.get_running_loop().run_in_executor(None, gates[message["gate"]].wait, 10)
    assert opened, "the test never opened the gate"
    await Channel(message["notify"]).asend({"done": message["n"]})


def sends_then_fails(message: Any) -> None:
    Channel(message["notify"]).send({"before": "the error"})
    raise RuntimeError("after a send")


async def async_sends_twice(message: Any) -> None:
    # Two of these interleave on one loop; each must flush only its own sends.
    await Channel(message["notify"]).asend({"n": message["n"], "part": 1})
    await asyncio.sleep(0.01)
    await Channel(message["notify"]).asend({"n": message["n"], "part": 2})


def closes_with_code(message: Any) -> None:
    raise WebsocketCloseException(4001)


def consume_later_forever(message: Any) -> None:
    raise ConsumeLater()


class AsyncCallable:
    async def __call__(self, message: Any) -> None:
        await Channel(message["notify"]).asend({"kind": "async instance"})


EXTRA_ROUTES = [
    route("gate", gated),
    route("async.gate", async_gated),
    route("fails", sends_then_fails),
    route("twice", async_sends_twice),
    route("websocket.receive", closes_with_code, path=r"^/close-code/"),
    route("forever", consume_later_forever),
    route("instance", AsyncCallable()),
]


@pytest.fixture
def layer() -> Any:
    """The project routing plus this module's routes, on an in-memory layer of capacity 1000."""
    with routed([*EXTRA_ROUTES, *_project_routes()], CONFIG={"capacity": 1000}):
        yield channel_layers["default"]


def _project_routes() -> list[Any]:
    from django.utils.module_loading import import_string

    return list(import_string(ROUTING))


@pytest.fixture
def gate() -> Any:
    name = f"gate{len(gates)}"
    gates[name] = threading.Event()
    yield name
    gates.pop(name).set()


def test_background_task_sent_from_a_view_is_run_by_the_worker(layer: Any) -> None:
    notify, prefix = new_notify(layer)
    with running_worker(layer):
        message, reply = http_request(layer, f"/task/?value=3&notify={notify}")
        layer.send("http.request", message)
        status, _, body = read_response(layer, reply)
        assert (status, body) == (200, b"queued")
        _, report = receive(layer, prefix)
    assert report["value"] == 3
    assert report["channel"] == "a_task_channel"


def test_view_renders_its_template_through_the_worker(layer: Any) -> None:
    with running_worker(layer):
        message, reply = http_request(layer, "/hello/?name=Ada")
        layer.send("http.request", message)
        status, headers, body = read_response(layer, reply)
    assert status == 200
    assert headers[b"content-type"].startswith(b"text/html")
    assert b"Hello, Ada!" in body


def test_sends_inside_a_consumer_go_out_when_it_finishes(layer: Any, gate: str) -> None:
    notify, prefix = new_notify(layer)
    with running_worker(layer):
        layer.send("gate", {"notify": notify, "gate": gate, "n": 1})
        assert receive(layer, prefix)[1] == {"started": 1}  # sent immediately=True
        # The held send has not gone out while the consumer still runs.
        assert layer.receive([prefix]) == (None, None)
        gates[gate].set()
        assert receive(layer, prefix)[1] == {"done": 1}


def test_sends_are_flushed_even_when_the_consumer_raises(layer: Any, caplog: Any) -> None:
    notify, prefix = new_notify(layer)
    with running_worker(layer):
        layer.send("fails", {"notify": notify})
        assert receive(layer, prefix)[1] == {"before": "the error"}
    assert "after a send" in caplog.text


def test_interleaved_async_consumers_flush_only_their_own_sends(layer: Any) -> None:
    notify, prefix = new_notify(layer)
    with running_worker(layer):
        for n in range(20):
            layer.send("twice", {"notify": notify, "n": n})
        reports = receive_many(layer, prefix, 40)
    by_n: dict[int, list[int]] = {}
    for report in reports:
        by_n.setdefault(report["n"], []).append(report["part"])
    assert by_n == {n: [1, 2] for n in range(20)}


def test_consume_later_puts_the_message_back_with_a_retry_count(layer: Any) -> None:
    notify, prefix = new_notify(layer)
    with running_worker(layer):
        layer.send("retry_channel", {"notify": notify, "times": 3})
        assert receive(layer, prefix)[1] == {"retries": 3}


def test_consume_later_is_dropped_with_a_warning_after_message_retries(
    layer: Any, caplog: Any
) -> None:
    dropped = threading.Event()

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "ConsumeLater" in record.getMessage():
                dropped.set()

    watch = Watch(logging.WARNING)
    logging.getLogger("channels.worker").addHandler(watch)
    try:
        with running_worker(layer, message_retries=2):
            layer.send("forever", {})
            assert dropped.wait(10)
    finally:
        logging.getLogger("channels.worker").removeHandler(watch)
    assert "dropping a message on 'forever'" in caplog.text
    assert layer.receive(["forever"]) == (None, None)


def test_unrouted_message_is_logged_and_the_worker_lives_on(layer: Any, caplog: Any) -> None:
    notify, prefix = new_notify(layer)
    with running_worker(layer):
        layer.send("filtered_channel", {"notify": notify, "path": "/elsewhere/"})
        layer.send("filtered_channel", {"notify": notify, "path": "/only/this/"})
        assert receive(layer, prefix)[1]["path"] == "/only/this/"
    assert "no route for a message on 'filtered_channel' with path '/elsewhere/'" in caplog.text


def test_include_passes_named_groups_from_both_levels(layer: Any) -> None:
    notify, prefix = new_notify(layer)
    with running_worker(layer):
        layer.send("kwargs_channel", {"notify": notify, "path": "/v2/lobby/"})
        report = receive(layer, prefix)[1]
    assert report == {"kwargs": {"version": "2", "room": "lobby"}, "path": "/v2/lobby/"}


def test_http_consumer_that_raises_gets_the_client_a_500_at_once(layer: Any) -> None:
    with running_worker(layer):
        message, reply = http_request(layer, "/consumer-error/")
        layer.send("http.request", message)
        status, headers, body = read_response(layer, reply, timeout=5)
    assert status == 500
    assert body == b"Internal Server Error"
    assert headers[b"content-type"] == b"text/plain; charset=utf-8"


def test_view_that_raises_answers_500(layer: Any) -> None:
    with running_worker(layer):
        message, reply = http_request(layer, "/boom/")
        layer.send("http.request", message)
        status, _, _ = read_response(layer, reply, timeout=5)
    assert status == 500


def test_websocket_consumer_that_raises_closes_the_socket_with_1011(layer: Any) -> None:
    reply = layer.new_channel("websocket.send.test!")
    with running_worker(layer):
        layer.send("websocket.receive", {"reply_channel": reply, "path": "/fail/", "text": "x"})
        assert receive(layer, "websocket.send.test!")[1] == {"close": 1011}


def test_deny_connection_closes_the_socket(layer: Any) -> None:
    reply = layer.new_channel("websocket.send.test!")
    with running_worker(layer):
        layer.send("websocket.connect", {"reply_channel": reply, "path": "/deny/", "order": 0})
        assert receive(layer, "websocket.send.test!")[1] == {"close": True}


def test_channel_socket_exception_runs_itself(layer: Any) -> None:
    reply = layer.new_channel("websocket.send.test!")
    with running_worker(layer):
        layer.send(
            "websocket.receive", {"reply_channel": reply, "path": "/close-code/", "text": ""}
        )
        assert receive(layer, "websocket.send.test!")[1] == {"close": 4001}


def test_default_routes_accept_sockets_and_ignore_frames() -> None:
    # A routing with no websocket.connect route at all accepts every socket.
    with routed([], CONFIG={"capacity": 1000}):
        layer = channel_layers["default"]
        reply = layer.new_channel("websocket.send.test!")
        accept_and_ignore(layer, reply)


def test_a_socket_no_route_matches_is_refused(layer: Any, caplog: Any) -> None:
    reply = layer.new_channel("websocket.send.test!")
    with running_worker(layer):
        layer.send("websocket.connect", {"reply_channel": reply, "path": "/nowhere/", "order": 0})
        assert receive(layer, "websocket.send.test!")[1] == {"close": True}
    assert "no websocket.connect route matches path '/nowhere/'" in caplog.text


def accept_and_ignore(layer: Any, reply: str) -> None:
    with running_worker(layer):
        layer.send("websocket.receive", {"reply_channel": reply, "path": "/chat/", "text": "hi"})
        layer.send("websocket.connect", {"reply_channel": reply, "path": "/chat/", "order": 0})
        assert receive(layer, "websocket.send.test!")[1] == {"accept": True}
    assert layer.receive(["websocket.send.test!"]) == (None, None)


def test_async_consumers_await_concurrently(layer: Any) -> None:
    notify, prefix = new_notify(layer)
    with running_worker(layer, max_concurrency=200):
        started = time.monotonic()
        for n in range(200):
            layer.send("async.sleep", {"notify": notify, "n": n, "seconds": 0.05})
        reports = receive_many(layer, prefix, 200)
        elapsed = time.monotonic() - started
    assert sorted(r["n"] for r in reports) == list(range(200))
    # One after the other would take 10 s.
    assert elapsed < 5, elapsed


def test_async_callable_instance_runs_on_the_loop(layer: Any) -> None:
    notify, prefix = new_notify(layer)
    with running_worker(layer):
        layer.send("instance", {"notify": notify})
        assert receive(layer, prefix)[1] == {"kind": "async instance"}


def test_async_consumers_run_while_every_thread_is_busy(layer: Any, gate: str) -> None:
    notify, prefix = new_notify(layer)
    with running_worker(layer, threads=1):
        layer.send("gate", {"notify": notify, "gate": gate, "n": 1})
        assert receive(layer, prefix)[1] == {"started": 1}
        for n in range(5):
            layer.send("async.sleep", {"notify": notify, "n": n, "seconds": 0.01})
        assert sorted(r["n"] for r in receive_many(layer, prefix, 5)) == list(range(5))
        gates[gate].set()
        assert receive(layer, prefix)[1] == {"done": 1}


def test_worker_takes_no_sync_message_it_cannot_start(layer: Any, gate: str) -> None:
    notify, prefix = new_notify(layer)
    taken: list[int] = []
    second_taken = threading.Event()

    def callback(channel: str, message: Any) -> None:
        taken.append(message["n"])
        if len(taken) == 2:
            second_taken.set()

    with running_worker(layer, threads=1, callback=callback):
        for n in (1, 2, 3):
            layer.send("gate", {"notify": notify, "gate": gate, "n": n})
        assert receive(layer, prefix)[1] == {"started": 1}
        # The only thread is busy: the others stay on the channel for another worker.
        assert not second_taken.wait(0.3)
        assert layer.channel_statistics("gate")["messages_pending"] == 2
        gates[gate].set()
        reports = receive_many(layer, prefix, 5)
    assert sorted(str(sorted(r.items())) for r in reports) == sorted(
        str(sorted(r.items()))
        for r in [{"done": 1}, {"started": 2}, {"done": 2}, {"started": 3}, {"done": 3}]
    )


def test_waiting_messages_go_to_every_free_thread_and_no_further(layer: Any, gate: str) -> None:
    notify, prefix = new_notify(layer)
    for n in range(5):
        layer.send("gate", {"notify": notify, "gate": gate, "n": n})
    with running_worker(layer, threads=3):
        # Three threads, three messages running at once (taken in batches by one receive
        # at a time); the other two stay on the channel while no thread is free.
        started = {receive(layer, prefix)[1]["started"] for _ in range(3)}
        assert started == {0, 1, 2}
        assert layer.receive([prefix], block=True, timeout=0.3) == (None, None)
        assert layer.channel_statistics("gate")["messages_pending"] == 2
        gates[gate].set()
        reports = receive_many(layer, prefix, 7)
    assert sorted(r["done"] for r in reports if "done" in r) == [0, 1, 2, 3, 4]
    assert sorted(r["started"] for r in reports if "started" in r) == [3, 4]


def test_async_only_channels_keep_flowing_while_sync_threads_are_busy(
    layer: Any, gate: str
) -> None:
    notify, prefix = new_notify(layer)
    with running_worker(layer, threads=1):
        layer.send("gate", {"notify": notify, "gate": gate, "n": 1})
        assert receive(layer, prefix)[1] == {"started": 1}
        layer.send("gate", {"notify": notify, "gate": gate, "n": 2})
        # The thread is busy, yet a channel that only reaches async consumers flows on.
        for n in range(5):
            layer.send("async.sleep", {"notify": notify, "n": n, "seconds": 0.01})
        assert sorted(r["n"] for r in receive_many(layer, prefix, 5)) == list(range(5))
        assert layer.channel_statistics("gate")["messages_pending"] == 1
        gates[gate].set()
        assert len(receive_many(layer, prefix, 3)) == 3


def test_worker_takes_no_async_message_past_max_concurrency(layer: Any, gate: str) -> None:
    notify, prefix = new_notify(layer)
    with running_worker(layer, max_concurrency=2):
        for n in (1, 2, 3):
            layer.send("async.gate", {"notify": notify, "gate": gate, "n": n})
        started = {receive(layer, prefix)[1]["started"] for _ in range(2)}
        assert started == {1, 2}
        assert layer.receive([prefix], block=True, timeout=0.3) == (None, None)
        assert layer.channel_statistics("async.gate")["messages_pending"] == 1
        gates[gate].set()
        assert len(receive_many(layer, prefix, 4)) == 4


def test_stop_lets_the_consumer_in_flight_finish(layer: Any) -> None:
    notify, prefix = new_notify(layer)
    with running_worker(layer) as worker:
        layer.send("slow_channel", {"notify": notify, "seconds": 0.3})
        assert receive(layer, prefix)[1] == {"started": True}
        worker.stop()
    # running_worker joined the thread: the held send was flushed before it returned.
    assert receive(layer, prefix, timeout=1)[1] == {"done": True}
    assert worker.abandoned == 0


def test_stop_abandons_consumers_after_the_shutdown_timeout(layer: Any, gate: str) -> None:
    notify, prefix = new_notify(layer)
    with running_worker(layer, shutdown_timeout=0.2) as worker:
        layer.send("async.gate", {"notify": notify, "gate": gate, "n": 1})
        assert receive(layer, prefix)[1] == {"started": 1}
    assert worker.abandoned == 1


def test_consumer_signals_fire_in_the_consumers_thread(layer: Any) -> None:
    seen: list[tuple[str, str]] = []

    def started(**kwargs: Any) -> None:
        seen.append(("started", threading.current_thread().name))

    def finished(**kwargs: Any) -> None:
        seen.append(("finished", threading.current_thread().name))

    consumer_started.connect(started, weak=False)
    consumer_finished.connect(finished, weak=False)
    try:
        notify, prefix = new_notify(layer)
        with running_worker(layer):
            layer.send("a_task_channel", {"notify": notify, "value": 1})
            receive(layer, prefix)
    finally:
        consumer_started.disconnect(started)
        consumer_finished.disconnect(finished)
    assert [what for what, _ in seen] == ["started", "finished"]
    assert seen[0][1] == seen[1][1]
    assert seen[0][1].startswith("channels-worker")


def test_only_and_exclude_channels_filter_what_the_worker_listens_on(layer: Any) -> None:
    worker = Worker(layer, only_channels=["websocket.*", "http.*"], exclude_channels=["*.receive"])
    # http.disconnect has a default consumer, so it never piles up unread.
    assert worker.listen_channels() == [
        "http.disconnect",
        "http.request",
        "websocket.connect",
        "websocket.disconnect",
    ]
    with pytest.raises(ValueError, match="no channels to listen on"):
        Worker(layer, only_channels=["nothing.*"]).listen_channels()


def test_worker_refuses_a_layer_without_a_router(layer: Any) -> None:
    with pytest.raises(TypeError, match="channel_layers"):
        Worker(layer.channel_layer)
    with pytest.raises(ValueError, match="threads"):
        Worker(layer, threads=0)


def test_apply_channel_filters_keeps_the_input_order(layer: Any) -> None:
    worker = Worker(layer, only_channels=["websocket.*", "http.*"], exclude_channels=["*.receive"])
    given = ["websocket.disconnect", "http.request", "websocket.receive", "websocket.connect"]
    assert worker.apply_channel_filters(given) == [
        "websocket.disconnect",
        "http.request",
        "websocket.connect",
    ]
    assert Worker(layer).apply_channel_filters(["b", "a", "c"]) == ["b", "a", "c"]


@pytest.mark.parametrize("channel", ["a_task_channel", "instance"], ids=["sync", "async"])
def test_setting_termed_stops_a_running_worker(layer: Any, channel: str) -> None:
    # The 1.x way to stop a worker from code; run() used to return only on a signal.
    worker = Worker(layer, signal_handlers=False)
    assert worker.termed is False
    with Background(worker.run, "test-termed-worker", stop=worker.stop) as running:
        notify, prefix = new_notify(layer)
        layer.send(channel, {"notify": notify, "value": 1})
        receive(layer, prefix)  # it is running, in its receive loops
        worker.termed = True
        assert running.ended_within(10), "setting termed did not stop the worker within 10 s"
    assert worker.termed is True
    assert worker.abandoned == 0


def test_termed_set_before_run_makes_run_return_at_once(layer: Any) -> None:
    worker = Worker(layer, signal_handlers=False)
    worker.termed = True
    running = Background(worker.run, "test-termed-worker")
    assert running.ended_within(10), "run() did not return within 10 s"
    assert not running.errors, running.errors


task_runs: list[int] = []


def counted_task(message: Any) -> None:
    task_runs.append(message["n"])


class PassCountingWorker(Worker):
    """The 1.x test pattern: ``termed`` is a property that turns true after N passes."""

    def get_termed(self) -> bool:
        if not self.passes:
            return True
        self.passes -= 1
        return False

    def set_termed(self, value: Any) -> None:
        self.passes = value

    termed = property(get_termed, set_termed)  # type: ignore[assignment]


def test_a_1x_worker_subclass_computing_termed_stops_when_it_turns_true() -> None:
    task_runs.clear()
    with routed([route("counted", counted_task)]):
        layer = channel_layers["default"]
        layer.send("counted", {"n": 1})
        worker = PassCountingWorker(layer, signal_handlers=False)
        worker.termed = 2  # one pass runs the message, the next finds nothing, then stop
        running = Background(worker.run, "test-termed-worker")
        assert running.ended_within(15), "the worker did not stop once termed turned true"
    assert not running.errors, running.errors
    assert task_runs == [1]
