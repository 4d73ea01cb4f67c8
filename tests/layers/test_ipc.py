"""What the IPC layer promises beyond the contract suite: crash safety with real processes
SIGKILLed at awkward points, no CPU while idle, cleanup of leftover stores, a bounded size.

Children are real Python processes on the same store (``ipc_child`` below); they stop
themselves with SIGSTOP where a test needs them frozen (holding the lock), then get SIGKILL.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import re
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from channels.exceptions import ChannelFull, InvalidChannelLayerError
from channels.layers.codec import encode_message
from channels.layers.ipc import IPCChannelLayer
from tests.layers.contract import LayerBackend, start_receiver_process
from tests.processes import ROOT, ManageProcess, OutputProcess

DEADLINE = 20.0
#: How long a woken receive may take to return.
WAKE_DEADLINE = 2.0

#: Children run one of these with the store's prefix as argv[1].
CHILDREN = {
    # Takes the store's lock, writes a message in the open transaction, then freezes.
    "hold_lock": r"""
import os, signal, sys, time
from channels.layers.ipc import IPCChannelLayer, tables
layer = IPCChannelLayer(sys.argv[1])
with layer.store.transaction() as db:
    tables.push(db, "crash", None, b"\x81\xa1n\xa4half", time.time() + 60, 100, time.time())
    print("holding", flush=True)
    os.kill(os.getpid(), signal.SIGSTOP)
""",
    # Sends messages of varying sizes as fast as it can, until killed.
    "send_forever": r"""
import sys
from channels.layers.ipc import IPCChannelLayer
layer = IPCChannelLayer(sys.argv[1], capacity=10**6, expiry=600)
print("sending", flush=True)
n = 0
while True:
    size = (n * 7919) % 200_000 + 1
    layer.send("torn", {"n": n, "size": size, "data": bytes([n % 256]) * size})
    n += 1
""",
    # Receives and reports every message, until killed.
    "receive_forever": r"""
import sys
from channels.layers.ipc import IPCChannelLayer
layer = IPCChannelLayer(sys.argv[1], capacity=10**6)
print("receiving", flush=True)
while True:
    channel, message = layer.receive(["taken"], block=True, timeout=30)
    if message is not None:
        print("got", message["n"], flush=True)
""",
    # One blocking receive (sync or async, argv[2]); prints what it got.
    "receive_once": r"""
import asyncio, sys
from channels.layers.ipc import IPCChannelLayer
layer = IPCChannelLayer(sys.argv[1])
print("waiting", flush=True)
if sys.argv[2] == "async":
    result = asyncio.run(layer.areceive(["idle"], block=True, timeout=30))
else:
    result = layer.receive(["idle"], block=True, timeout=30)
print("result", result, flush=True)
""",
}


class Child(ManageProcess):
    """A Python child running one of :data:`CHILDREN` on the test's store."""

    def __init__(self, name: str, prefix: str, *args: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-c", CHILDREN[name], prefix, *args]
        OutputProcess.__init__(self, name, command, env)


@pytest.fixture
def prefix() -> Iterator[str]:
    """A store of the test's own; its files are removed (and checked gone) afterwards."""
    name = f"test-{uuid.uuid4().hex}"
    yield name
    cleaner = IPCChannelLayer(name)
    cleaner.flush()
    cleaner.close()
    assert cleaner.store.files() == []


@pytest.fixture
def layer(prefix: str) -> Iterator[IPCChannelLayer]:
    made = IPCChannelLayer(prefix, capacity=10**6)
    yield made
    made.close()


def check_store(layer: IPCChannelLayer) -> None:
    """SQLite finds the database sound and every queue's kept length matches its messages."""
    with layer.store.transaction() as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        counted = dict(db.execute("SELECT queue, count(*) FROM messages GROUP BY queue"))
        kept = {name: n for name, n in db.execute("SELECT name, length FROM queues") if n}
    assert counted == kept


def wait_stopped(pid: int) -> None:
    """Wait (with a deadline) until process ``pid`` is stopped by a signal."""
    stopped = threading.Event()

    def wait() -> None:
        os.waitid(os.P_PID, pid, os.WSTOPPED | os.WNOWAIT)
        stopped.set()

    threading.Thread(target=wait, daemon=True).start()
    assert stopped.wait(DEADLINE), f"process {pid} did not stop"


def cpu_ticks(pid: int) -> int:
    """User plus system CPU time of ``pid`` so far, in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


# -- crashes ----------------------------------------------------------------------------------


def test_a_process_killed_while_holding_the_lock_does_not_wedge_the_others(
    layer: IPCChannelLayer, prefix: str
) -> None:
    layer.send("crash", {"n": "before"})
    with Child("hold_lock", prefix) as child:
        child.wait_for_line("holding", DEADLINE)
        wait_stopped(child.process.pid)
        sent = threading.Event()
        sender = threading.Thread(
            target=lambda: (layer.send("crash", {"n": "after"}), sent.set()), daemon=True
        )
        sender.start()
        # The frozen child holds the lock: the send waits (a bounded look, not a sync).
        assert not sent.wait(0.3), "the send did not wait for the lock holder"
        child.kill()
        assert sent.wait(DEADLINE), "the send stayed wedged after the lock holder died"
    # The dead child's uncommitted message never appears; everything else is intact.
    assert [m["n"] for _, m in drain(layer, ["crash"])] == ["before", "after"]
    check_store(layer)


def drain(layer: IPCChannelLayer, channels: list[str]) -> list[tuple[str, dict]]:
    received = []
    while True:
        channel, message = layer.receive(channels)
        if channel is None:
            return received
        received.append((channel, message))


def test_senders_killed_mid_write_leave_only_whole_messages(
    layer: IPCChannelLayer, prefix: str
) -> None:
    random.seed(17)
    for _ in range(8):
        with Child("send_forever", prefix) as child:
            child.wait_for_line("sending", DEADLINE)
            # The point is to land the kill at an arbitrary moment of a send, so the delay
            # is random on purpose (this is not a synchronisation).
            time.sleep(random.uniform(0.05, 0.4))
            child.kill()
        check_store(layer)
        numbers = []
        for _, message in drain(layer, ["torn"]):
            numbers.append(message["n"])
            assert message["data"] == bytes([message["n"] % 256]) * message["size"]
        assert numbers == list(range(len(numbers))), "messages lost or reordered"
    layer.send("torn", {"n": "still works"})
    assert layer.receive(["torn"]) == ("torn", {"n": "still works"})


def test_receivers_killed_mid_receive_never_cause_a_second_delivery(
    layer: IPCChannelLayer, prefix: str
) -> None:
    total = 3000
    for number in range(total):
        layer.send("taken", {"n": number})
    with Child("receive_forever", prefix) as child:
        child.wait_for_line("got 100", DEADLINE)
        child.kill()
        taken = [int(line.split()[1]) for line in child.lines if line.startswith("got ")]
    check_store(layer)
    left = [message["n"] for _, message in drain(layer, ["taken"])]
    assert not set(taken) & set(left), "a message was delivered twice"
    assert left == sorted(left) and left[-1] == total - 1
    # At most the one message being printed when the kill landed is unaccounted for.
    assert len(taken) + len(left) >= total - 1


def test_messages_for_a_killed_receiver_stay_for_the_next_one(
    layer: IPCChannelLayer, prefix: str
) -> None:
    kill_a_blocked_receiver(layer, prefix)
    layer.send("idle", {"n": 1})  # its wake-up goes to a dead socket: refused, forgotten
    with layer.store.transaction() as db:
        assert db.execute("SELECT count(*) FROM waiters").fetchone() == (0,)
    with Child("receive_once", prefix, "async") as child:
        child.wait_for_line(r"result ('idle', {'n': 1})", DEADLINE)


def kill_a_blocked_receiver(layer: IPCChannelLayer, prefix: str) -> None:
    """SIGKILL a child while its receive on ``idle`` is registered and sleeping."""
    with Child("receive_once", prefix, "sync") as child:
        child.wait_for_line("waiting", DEADLINE)
        wait_registered(layer, "idle")
        child.kill()


def wait_registered(layer: IPCChannelLayer, queue: str, count: int = 1) -> None:
    """Wait (with a deadline) until ``count`` receives are registered as waiting on
    ``queue``. There is no event to wait on across processes here, so this looks every 10 ms.
    """
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        with layer.store.transaction() as db:
            query = "SELECT count(*) FROM waiters WHERE queue = ?"
            if db.execute(query, (queue,)).fetchone()[0] >= count:
                return
        threading.Event().wait(0.01)
    raise AssertionError(f"fewer than {count} receive(s) registered on {queue!r} in {DEADLINE} s")


def test_a_wake_up_spent_on_another_message_is_passed_on(layer: IPCChannelLayer) -> None:
    # Each send wakes one receive. When the one woken for "a" takes "b" instead, the receive
    # still waiting on "a" must be woken by it, not left asleep with a message waiting.
    outcomes = set()
    for _ in range(30):
        _, both_done, both = _receive_in_thread(layer, ["a", "b"])
        _, only_done, only = _receive_in_thread(layer, ["a"])
        wait_registered(layer, "b")
        wait_registered(layer, "a", count=2)
        layer.send("a", {"n": 1})
        layer.send("b", {"n": 2})
        assert both_done.wait(WAKE_DEADLINE), "the receive on a and b was left asleep"
        if both == [("a", {"n": 1})] and not only_done.is_set():
            # "b" has no receive waiting on it: it stays for the next one.
            outcomes.add("b stays")
            assert layer.receive(["b"]) == ("b", {"n": 2})
            layer.send("a", {"n": 3})  # lets the other receive finish
            assert only_done.wait(WAKE_DEADLINE)
            assert only == [("a", {"n": 3})]
            continue
        assert only_done.wait(WAKE_DEADLINE), "the receive on a was left asleep"
        assert sorted(both + only) == [("a", {"n": 1}), ("b", {"n": 2})]
        outcomes.add("passed on" if both == [("b", {"n": 2})] else "both woken")
    # The case this is about happened (30 rounds: missing it has a chance of about 2e-4).
    assert "passed on" in outcomes, outcomes


# -- no polling -------------------------------------------------------------------------------


@pytest.mark.parametrize("api", ["sync", "async"])
def test_an_idle_blocked_receiver_uses_no_cpu_and_wakes_on_a_send(
    layer: IPCChannelLayer, prefix: str, api: str
) -> None:
    with Child("receive_once", prefix, api) as child:
        child.wait_for_line("waiting", DEADLINE)
        wait_registered(layer, "idle")
        before = cpu_ticks(child.process.pid)
        window = threading.Event()
        window.wait(2.0)  # the measurement window itself
        used = cpu_ticks(child.process.pid) - before
        assert used <= 1, f"an idle receiver used {used} clock ticks of CPU in 2 s"
        started = time.monotonic()
        layer.send("idle", {"n": 2})
        child.wait_for_line(r"result ('idle', {'n': 2})", DEADLINE)
        assert time.monotonic() - started < 2.0


def test_several_receiving_processes_get_each_message_once(
    layer: IPCChannelLayer, prefix: str
) -> None:
    total, receivers = 4000, 4
    backend = LayerBackend(IPCChannelLayer, {"prefix": prefix}, multiprocess=True)
    options = {"capacity": total + 100}
    processes = [start_receiver_process(backend, options, "shared") for _ in range(receivers)]
    try:
        for number in range(total):
            layer.send("shared", {"n": number})
        for _ in range(receivers):
            layer.send("shared", {"stop": True})
        got: list[int] = []
        for process in processes:
            out, _ = process.communicate(timeout=60)
            assert process.returncode == 0
            outcome = json.loads(out)
            assert outcome["stopped"]
            got.extend(outcome["got"])
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=10)
    assert sorted(got) == list(range(total))


# -- the store's files ------------------------------------------------------------------------


def test_a_store_from_an_earlier_boot_is_replaced(
    layer: IPCChannelLayer, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    layer.send("old", {"n": 1})
    old_files = layer.store.files()
    with layer.store.transaction() as db:
        db.execute("UPDATE meta SET value = 'another-boot' WHERE key = 'boot'")
    fresh = IPCChannelLayer(prefix)
    try:
        assert fresh.receive(["old"]) == (None, None)
        assert "earlier boot" in caplog.text
        assert not set(old_files[1:]) & set(fresh.store.files())
        # The first layer follows to the new generation.
        layer.send("old", {"n": 2})
        assert fresh.receive(["old"]) == ("old", {"n": 2})
    finally:
        fresh.close()


def test_a_damaged_store_is_replaced(prefix: str, caplog: pytest.LogCaptureFixture) -> None:
    first = IPCChannelLayer(prefix)
    first.send("x", {"n": 1})
    database = next(p for p in first.store.files() if p.name.endswith(".sqlite"))
    first.close()
    database.write_bytes(b"this is not a database" * 100)
    second = IPCChannelLayer(prefix)
    try:
        second.send("x", {"n": 2})
        assert second.receive(["x"]) == ("x", {"n": 2})
        assert "unreadable" in caplog.text
    finally:
        second.close()


def test_waiters_of_dead_processes_are_dropped_when_a_process_opens_the_store(
    layer: IPCChannelLayer, prefix: str
) -> None:
    kill_a_blocked_receiver(layer, prefix)
    fresh = IPCChannelLayer(prefix)
    try:
        with fresh.store.transaction() as db:
            assert db.execute("SELECT count(*) FROM waiters").fetchone() == (0,)
    finally:
        fresh.close()


def test_flush_removes_the_files_and_other_layers_carry_on(prefix: str) -> None:
    one, two = IPCChannelLayer(prefix), IPCChannelLayer(prefix)
    try:
        one.send("kept", {"n": 1})
        _, done, result = _receive_in_thread(two, ["after.flush"])
        wait_registered(one, "after.flush")
        before = one.store.files()
        two.flush()
        # Every file is gone (the woken receive may already have started a new generation).
        assert not set(before) & set(one.store.files()[1:])
        assert all(not path.exists() for path in before[1:])
        one.send("after.flush", {"n": 2})  # the new generation; the blocked receive follows
        assert done.wait(DEADLINE)
        assert result == [("after.flush", {"n": 2})]
        assert one.receive(["kept"]) == (None, None)
    finally:
        one.close()
        two.close()


def _receive_in_thread(
    layer: IPCChannelLayer, channels: list[str]
) -> tuple[threading.Thread, threading.Event, list[object]]:
    done, result = threading.Event(), []

    def run() -> None:
        result.append(layer.receive(channels, block=True, timeout=DEADLINE))
        done.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, done, result


# -- limits and configuration -----------------------------------------------------------------


def test_a_full_store_raises_channel_full_naming_the_setting(prefix: str) -> None:
    layer = IPCChannelLayer(
        prefix, capacity=10**6, max_message_size=64 * 1024, channel_memory=256 * 1024
    )
    try:
        blob = {"data": os.urandom(60 * 1024)}
        sent = 0
        with pytest.raises(ChannelFull, match=r"channel_memory=262144.*raise"):
            for _ in range(100):
                layer.send("big", blob)
                sent += 1
        assert 0 < sent < 5
        assert layer.global_statistics()["channel_full_count"] == 1
        layer.group_add("big.group", "big")
        layer.send_group("big.group", blob)  # never raises: the member is skipped
        assert layer.global_statistics()["group_send_skipped"] == 1
        assert layer.receive(["big"]) == ("big", blob)
        layer.send("big", blob)  # room again
    finally:
        layer.close()


@contextlib.contextmanager
def warning_seen(text: str) -> Iterator[threading.Event]:
    """An event set when the IPC layer logs a record containing ``text`` (from any thread)."""
    seen = threading.Event()

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if text in record.getMessage():
                seen.set()

    handler = Watch()
    logger = logging.getLogger("channels.layers.ipc")
    logger.addHandler(handler)
    try:
        yield seen
    finally:
        logger.removeHandler(handler)


def test_a_receive_blocked_on_a_full_store_still_gets_its_message(prefix: str) -> None:
    layer = IPCChannelLayer(
        prefix, capacity=10**6, max_message_size=64 * 1024, channel_memory=256 * 1024
    )
    try:
        blob = {"data": os.urandom(60 * 1024)}
        with pytest.raises(ChannelFull):
            for _ in range(100):
                layer.send("big", blob)
        with pytest.raises(ChannelFull):
            for number in range(100_000):
                layer.send("small", {"n": number})
        # The store has no room left even to register this receive as a waiter: it says so.
        with warning_seen("is full") as warned:
            # Listening on many channels: its registration needs new pages; there are none.
            _, done, result = _receive_in_thread(layer, [f"other.{n}" for n in range(300)])
            assert warned.wait(DEADLINE), "the blocked receive did not report the full store"
        assert layer.receive(["big"]) == ("big", blob)  # makes room for one message
        layer.send("other.7", {"n": 1})
        assert done.wait(DEADLINE)
        assert result == [("other.7", {"n": 1})]
    finally:
        layer.close()


@pytest.mark.parametrize(
    ("options", "shown"),
    [
        ({"prefix": "no spaces"}, "'no spaces'"),
        ({"prefix": 5}, "5"),
        ({"channel_memory": 1000}, "1000"),
        ({"directory": "/no/such/dir"}, "'/no/such/dir'"),
    ],
)
def test_bad_options_are_refused_with_the_value(options: dict, shown: str) -> None:
    with pytest.raises(ValueError, match=re.escape(shown)):
        IPCChannelLayer(**options)


def test_other_platforms_get_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    with pytest.raises(InvalidChannelLayerError, match=r"needs Linux.*'darwin'"):
        IPCChannelLayer("any")


def test_the_seed_era_backend_path_is_an_alias() -> None:
    from channels.asgi import BACKEND_ALIASES

    assert BACKEND_ALIASES["asgi_ipc.IPCChannelLayer"] == "channels.layers.ipc.IPCChannelLayer"


def test_stored_messages_are_the_codec_bytes(layer: IPCChannelLayer) -> None:
    layer.send("raw", {"n": 1})
    with layer.store.transaction() as db:
        (body,) = db.execute("SELECT body FROM messages WHERE queue = 'raw'").fetchone()
    assert body == encode_message({"n": 1}, layer.max_message_size)


def test_a_flush_that_died_half_way_leaves_a_usable_store(layer: IPCChannelLayer) -> None:
    layer.send("half", {"n": 1})
    # What flush() writes first, before unlinking anything: a flusher SIGKILLed right there.
    layer.store.lock_path.write_text("removed")
    fresh = IPCChannelLayer(layer.prefix)
    try:
        fresh.send("half", {"n": 2})
        assert layer.receive(["half"]) == ("half", {"n": 2})
    finally:
        fresh.close()


def test_the_store_can_live_in_another_directory(tmp_path: Path) -> None:
    layer = IPCChannelLayer("elsewhere", directory=tmp_path)
    try:
        layer.send("here", {"n": 1})
        assert {path.parent for path in layer.store.files()} == {tmp_path}
        assert layer.receive(["here"]) == ("here", {"n": 1})
        layer.flush()
        assert list(tmp_path.iterdir()) == []
    finally:
        layer.close()


def test_a_process_specific_queue_is_taken_in_bulk_and_served_in_order(
    layer: IPCChannelLayer,
) -> None:
    for number in range(100):
        layer.send(f"server!{number % 3}", {"n": number})
    assert layer.receive(["server!"]) == ("server!0", {"n": 0})
    # One transaction took the first 64 stored messages; this process serves them next.
    assert layer.channel_statistics("server!")["messages_pending"] == 36
    rest = [message["n"] for _, message in drain(layer, ["server!"])]
    assert rest == list(range(1, 100))
