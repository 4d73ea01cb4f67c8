"""The channel layer contract suite: what :class:`~channels.layers.base.BaseChannelLayer`
promises, checked against a real backend through both the sync and the async API.

Reusing it for your own layer
-----------------------------
Import (or copy) this module into a test module of yours and provide one fixture,
``layer_backend``, returning a :class:`LayerBackend`: the layer class, the options every test
layer gets (connection details, a key prefix private to the test), and whether layers built
with those options in *other processes* share channels (True for a networked store). Clean
up your store after the ``yield``::

    # tests/test_my_layer_contract.py
    import pytest
    from tests.layers.contract import *  # noqa: F403  (brings the tests and their fixtures)
    from tests.layers.contract import LayerBackend

    from my_layer import MyChannelLayer

    @pytest.fixture
    def layer_backend():
        yield LayerBackend(MyChannelLayer, {"url": "my://localhost", "prefix": "t1:"},
                           multiprocess=True)
        ...  # delete what the test stored

Every test builds its layers with ``make_layer(**overrides)`` (options such as ``capacity``
or ``expiry`` are passed on to the class), so your class must accept the options of
``BaseChannelLayer.__init__``. Tests that take the ``layer`` fixture run twice: once through
``send``/``receive``/... and once through ``asend``/``areceive``/..., the coroutines running on
an event loop in a thread of its own.

The suite waits on events with deadlines and never sleeps to synchronise; the one exception
is expiry, where there is nothing to wait for but time passing.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import json
import logging
import os
import pickle
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from channels import exceptions
from channels.layers.base import COUNTERS, BaseChannelLayer

T = TypeVar("T")

#: How long any single layer call may take before the test calls it hung.
CALL_DEADLINE = 30.0
#: How long a woken receive may take to return (its block timeout is much longer).
WAKE_DEADLINE = 2.0
#: The block timeout of receives that are expected to be woken.
LONG_BLOCK = 10.0


# -- how tests get layers -------------------------------------------------------------------


@dataclass
class LayerBackend:
    """How the suite builds layers of one backend (see the module docstring)."""

    layer_class: type[BaseChannelLayer]
    options: dict[str, Any] = field(default_factory=dict)
    #: True when layers built with ``options`` in separate processes share channels.
    multiprocess: bool = False

    def make(self, **overrides: Any) -> BaseChannelLayer:
        """A new layer with the backend's options plus ``overrides``."""
        return self.layer_class(**{**self.options, **overrides})

    @property
    def class_path(self) -> str:
        """``module.QualName`` of the layer class, for building one in a subprocess."""
        return f"{self.layer_class.__module__}.{self.layer_class.__qualname__}"


class LayerFactory:
    """Builds layers for one test and closes them all afterwards."""

    def __init__(self, backend: LayerBackend) -> None:
        self.backend = backend
        self.made: list[BaseChannelLayer] = []

    def __call__(self, **overrides: Any) -> BaseChannelLayer:
        layer = self.backend.make(**overrides)
        self.made.append(layer)
        return layer

    def close_all(self) -> None:
        for layer in self.made:
            layer.close()


@pytest.fixture
def make_layer(layer_backend: LayerBackend) -> Iterator[LayerFactory]:
    """``make_layer(**overrides)`` builds a layer; all are closed after the test."""
    factory = LayerFactory(layer_backend)
    yield factory
    factory.close_all()


class LoopThread:
    """An event loop running in a thread of its own; any thread can run coroutines on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="contract-event-loop", daemon=True
        )
        self._thread.start()

    def submit(self, coroutine: Awaitable[T]) -> concurrent.futures.Future[T]:
        """Start ``coroutine`` on the loop; return a future of its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)  # type: ignore[arg-type]

    def run(self, coroutine: Awaitable[T], timeout: float = CALL_DEADLINE) -> T:
        """Run ``coroutine`` on the loop and return its result, failing after ``timeout``."""
        future = self.submit(coroutine)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise AssertionError(f"{coroutine!r} did not finish within {timeout} s") from None

    def close(self, layers: list[BaseChannelLayer]) -> None:
        """Close the layers' async side, cancel leftover tasks and stop the loop."""

        async def shutdown() -> None:
            for layer in layers:
                await layer.aclose()
            current = asyncio.current_task()
            leftovers = [task for task in asyncio.all_tasks() if task is not current]
            for task in leftovers:
                task.cancel()
            await asyncio.gather(*leftovers, return_exceptions=True)
            await self.loop.shutdown_asyncgens()
            await self.loop.shutdown_default_executor()

        try:
            self.run(shutdown())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            self.loop.close()


@pytest.fixture
def loop_thread(make_layer: LayerFactory) -> Iterator[LoopThread]:
    """An event loop in its own thread. Depends on ``make_layer`` so that the layers' async
    side is closed on this loop before ``make_layer`` closes their sync side."""
    loop = LoopThread()
    yield loop
    loop.close(make_layer.made)


class AsyncView:
    """A layer seen through its async twins, callable from plain test code.

    ``view.send(...)`` runs ``layer.asend(...)`` on the loop thread and returns its result (or
    raises its exception); attributes that are not operations come from the layer itself.
    """

    def __init__(self, layer: BaseChannelLayer, loop: LoopThread) -> None:
        self._layer = layer
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        return getattr(self._layer, name)

    def send(self, channel: Any, message: Any) -> None:
        self._loop.run(self._layer.asend(channel, message))

    def receive(self, channels: Any, block: bool = False, timeout: float | None = None) -> Any:
        waited = (self._layer.block_timeout if timeout is None else timeout) if block else 0
        return self._loop.run(
            self._layer.areceive(channels, block, timeout), waited + CALL_DEADLINE
        )

    def receive_many(
        self, channels: Any, max_count: Any, block: bool = False, timeout: float | None = None
    ) -> Any:
        waited = (self._layer.block_timeout if timeout is None else timeout) if block else 0
        return self._loop.run(
            self._layer.areceive_many(channels, max_count, block, timeout), waited + CALL_DEADLINE
        )

    def send_many(self, items: Any) -> Any:
        return self._loop.run(self._layer.asend_many(items))

    def new_channel(self, pattern: Any) -> str:
        return self._loop.run(self._layer.anew_channel(pattern))

    def group_add(self, group: Any, channel: Any) -> None:
        self._loop.run(self._layer.agroup_add(group, channel))

    def group_discard(self, group: Any, channel: Any) -> None:
        self._loop.run(self._layer.agroup_discard(group, channel))

    def send_group(self, group: Any, message: Any) -> None:
        self._loop.run(self._layer.asend_group(group, message))

    def group_channels(self, group: Any) -> list[str]:
        return self._loop.run(self._layer.agroup_channels(group))

    def flush(self) -> None:
        self._loop.run(self._layer.aflush())

    def channel_statistics(self, channel: Any) -> dict[str, Any]:
        return self._loop.run(self._layer.achannel_statistics(channel))


class Api:
    """Which half of the API a test drives: ``view(layer)`` returns the layer itself (sync)
    or an :class:`AsyncView` of it (async)."""

    def __init__(self, name: str, loop: LoopThread | None = None) -> None:
        self.name = name
        self.loop = loop

    def view(self, layer: BaseChannelLayer) -> Any:
        return layer if self.loop is None else AsyncView(layer, self.loop)

    def __repr__(self) -> str:
        return f"<Api {self.name}>"


@pytest.fixture(params=["sync", "async"])
def api(request: pytest.FixtureRequest, make_layer: LayerFactory) -> Api:
    """The sync API, or the async twins run on a loop thread."""
    if request.param == "sync":
        return Api("sync")
    return Api("async", request.getfixturevalue("loop_thread"))


@pytest.fixture
def new_layer(make_layer: LayerFactory, api: Api) -> Callable[..., Any]:
    """``new_layer(**overrides)``: a layer seen through the API under test."""
    return lambda **overrides: api.view(make_layer(**overrides))


@pytest.fixture
def layer(new_layer: Callable[..., Any]) -> Any:
    """A layer with default options, seen through the API under test."""
    return new_layer()


def receive_all(layer: Any, channels: list[str], limit: int = 10_000) -> list[tuple[str, Any]]:
    """Everything ``channels`` hold right now, in the order received."""
    received = []
    for _ in range(limit):
        channel, message = layer.receive(channels)
        if channel is None:
            return received
        received.append((channel, message))
    raise AssertionError(f"{channels!r} still had messages after {limit} receives")


def assert_same(actual: Any, expected: Any, path: str = "message") -> None:
    """Equal, with the same types all the way down (no bool for int, no str for bytes)."""
    expected_type = list if isinstance(expected, tuple) else type(expected)
    assert type(actual) is expected_type, f"{path}: got {actual!r}, expected {expected!r}"
    if isinstance(expected, dict):
        assert list(actual) == list(expected), f"{path}: keys {list(actual)} != {list(expected)}"
        for key in expected:
            assert_same(actual[key], expected[key], f"{path}[{key!r}]")
    elif isinstance(expected, list | tuple):
        assert len(actual) == len(expected), f"{path}: got {actual!r}, expected {expected!r}"
        for index, (got, want) in enumerate(zip(actual, expected, strict=True)):
            assert_same(got, want, f"{path}[{index}]")
    else:
        assert actual == expected, f"{path}: got {actual!r}, expected {expected!r}"


# -- channels -------------------------------------------------------------------------------


def test_messages_come_out_in_the_order_they_were_sent(layer: Any) -> None:
    for number in range(20):
        layer.send("fifo", {"n": number})
    assert [message["n"] for _, message in receive_all(layer, ["fifo"])] == list(range(20))


def test_receive_returns_none_when_nothing_is_waiting(layer: Any) -> None:
    assert layer.receive(["empty"]) == (None, None)
    assert layer.receive(["empty"], block=True, timeout=0.05) == (None, None)


def test_a_message_is_received_only_once(layer: Any) -> None:
    layer.send("once", {"text": "hi"})
    assert layer.receive(["once"]) == ("once", {"text": "hi"})
    assert layer.receive(["once"]) == (None, None)


def test_receive_takes_from_any_listed_channel_without_starving_one(layer: Any) -> None:
    for number in range(50):
        layer.send("left", {"n": number})
        layer.send("right", {"n": number})
    served = Counter(layer.receive(["left", "right"])[0] for _ in range(40))
    # Which channel is served is random: both appear unless something always favours one
    # (the chance of 40 draws landing on one side is about 2e-12).
    assert set(served) == {"left", "right"}, served


def test_process_specific_channels_are_received_through_their_prefix(layer: Any) -> None:
    layer.send("proc!a", {"n": 1})
    layer.send("proc!b", {"n": 2})
    layer.send("other!a", {"n": 3})
    assert receive_all(layer, ["proc!"]) == [("proc!a", {"n": 1}), ("proc!b", {"n": 2})]
    assert receive_all(layer, ["other!"]) == [("other!a", {"n": 3})]


def test_receiving_on_a_full_process_specific_name_is_rejected(layer: Any) -> None:
    with pytest.raises(ValueError, match=re.escape(repr("proc!a"))):
        layer.receive(["proc!a"])


def test_single_reader_channels_are_received_by_their_full_name(layer: Any) -> None:
    channel = layer.new_channel("reply?")
    layer.send(channel, {"n": 1})
    assert layer.receive([channel]) == (channel, {"n": 1})


def test_receive_arguments_are_checked(layer: Any) -> None:
    with pytest.raises(TypeError, match="'chan'"):
        layer.receive("chan")
    with pytest.raises(ValueError):
        layer.receive([])
    with pytest.raises(TypeError, match="5"):
        layer.receive([5])
    with pytest.raises(ValueError, match=re.escape(repr("reply?"))):
        layer.receive(["reply?"])


def test_messages_older_than_expiry_are_never_delivered(new_layer: Callable[..., Any]) -> None:
    layer = new_layer(expiry=0.2)
    layer.send("short", {"n": 1})
    layer.send("short.proc!a", {"n": 1})
    # Nothing to wait on: expiry is about time passing, so this is the suite's one sleep.
    time.sleep(0.5)
    layer.send("short", {"n": 2})
    assert receive_all(layer, ["short"]) == [("short", {"n": 2})]
    assert layer.receive(["short.proc!"]) == (None, None)


def test_new_channel_returns_unique_names_that_extend_the_pattern(layer: Any) -> None:
    names = [layer.new_channel("reply.prefix!") for _ in range(500)]
    names += [layer.new_channel("body?") for _ in range(500)]
    assert len(set(names)) == 1000
    assert all(name.startswith(("reply.prefix!", "body?")) for name in names)
    assert all(len(name) > len("reply.prefix!") for name in names[:500])
    layer.send(names[0], {"n": 1})
    assert layer.receive(["reply.prefix!"]) == (names[0], {"n": 1})


@pytest.mark.parametrize("pattern", ["x!", "x?", "a.b-c_d!", "A1?"])
def test_new_channel_accepts_patterns_ending_in_a_type_character(layer: Any, pattern: str) -> None:
    assert layer.new_channel(pattern).startswith(pattern)


@pytest.mark.parametrize("pattern", ["test.foo", "", "!", "bad name!", "a!b!"])
def test_new_channel_rejects_patterns_that_are_not_prefixes(layer: Any, pattern: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(pattern))):
        layer.new_channel(pattern)


def test_new_channel_rejects_a_pattern_that_is_not_a_str(layer: Any) -> None:
    with pytest.raises(TypeError, match="5"):
        layer.new_channel(5)


# -- message values -------------------------------------------------------------------------


class Unsendable:
    def __repr__(self) -> str:
        return "<Unsendable thing>"


ROUND_TRIP_VALUES = {
    "str": "hello",
    "empty str": "",
    "str with NUL": "a\x00b",
    "non-ASCII str": "héllo wörld ☃ 𝄞 日本",
    "bytes": b"\x00\x01\xfe\xff",
    "empty bytes": b"",
    "non-UTF-8 bytes": "héllo".encode("latin-1"),
    "zero": 0,
    "int64 max": 2**63 - 1,
    "int64 min": -(2**63),
    "float": 0.1,
    "large float": 1.7976931348623157e308,
    "negative zero float": -0.0,
    "infinity": float("inf"),
    "None": None,
    "True": True,
    "False": False,
    "nested": {"list": [1, "two", b"three", [None, {"deep": [True, 2.5]}]], "empty": {}},
    "empty list": [],
}


@pytest.mark.parametrize("value", ROUND_TRIP_VALUES.values(), ids=ROUND_TRIP_VALUES.keys())
def test_values_round_trip_exactly(layer: Any, value: Any) -> None:
    layer.send("values", {"value": value, "after": "x"})
    channel, message = layer.receive(["values"])
    assert channel == "values"
    assert_same(message, {"value": value, "after": "x"})


def test_tuples_arrive_as_lists(layer: Any) -> None:
    layer.send("values", {"pair": (1, "a"), "nested": [(b"x",)]})
    assert_same(layer.receive(["values"])[1], {"pair": [1, "a"], "nested": [[b"x"]]})


def test_changing_a_message_after_send_changes_nothing(layer: Any) -> None:
    message = {"list": [1, 2], "dict": {"a": 1}, "text": "original"}
    layer.send("copy", message)
    layer.group_add("copy.group", "copy.member")
    layer.send_group("copy.group", message)
    message["list"].append(3)
    message["dict"]["b"] = 2
    message["text"] = "changed"
    message["new"] = True
    expected = {"list": [1, 2], "dict": {"a": 1}, "text": "original"}
    assert layer.receive(["copy"]) == ("copy", expected)
    assert layer.receive(["copy.member"]) == ("copy.member", expected)


BAD_MESSAGES = {
    "not a dict": ("just text", "'just text'"),
    "list message": ([1, 2], "[1, 2]"),
    "non-str key": ({1: "x"}, "1"),
    "bytes key": ({b"k": "x"}, "b'k'"),
    "object value": ({"x": Unsendable()}, "<Unsendable thing>"),
    "nested object value": ({"x": [1, {"y": Unsendable()}]}, "<Unsendable thing>"),
    "set value": ({"x": {1, 2}}, "{1, 2}"),
    "int over 64 bits": ({"x": 2**64}, str(2**64)),
    "int under 64 bits": ({"x": -(2**63) - 1}, str(-(2**63) - 1)),
}


@pytest.mark.parametrize(("message", "shown"), BAD_MESSAGES.values(), ids=BAD_MESSAGES.keys())
def test_unsendable_messages_raise_type_error_naming_the_value(
    layer: Any, message: Any, shown: str
) -> None:
    with pytest.raises(TypeError, match=re.escape(shown)):
        layer.send("bad.values", message)
    layer.group_add("bad.group", "bad.values")
    with pytest.raises(TypeError, match=re.escape(shown)):
        layer.send_group("bad.group", message)
    assert layer.receive(["bad.values"]) == (None, None)


BAD_CHANNEL_NAMES = {
    "empty": "",
    "space": "has space",
    "non-ASCII": "chännel",
    "two bangs": "a!b!c",
    "bang and question mark": "a?b!c",
    "slash": "a/b",
    "process prefix": "ends!",
    "single-reader prefix": "ends?",
    "too long": "x" * 200,
}


@pytest.mark.parametrize("name", BAD_CHANNEL_NAMES.values(), ids=BAD_CHANNEL_NAMES.keys())
def test_invalid_channel_names_raise_value_error_naming_them(layer: Any, name: str) -> None:
    shown = re.escape(repr(name[:40])[:-1])  # long names are shown truncated
    with pytest.raises(ValueError, match=shown):
        layer.send(name, {})
    with pytest.raises(ValueError, match=shown):
        layer.group_add("valid.group", name)


@pytest.mark.parametrize("name", [None, b"bytes.name", 5, ["list"]])
def test_channel_names_that_are_not_str_raise_type_error(layer: Any, name: Any) -> None:
    with pytest.raises(TypeError, match=re.escape(repr(name))):
        layer.send(name, {})
    with pytest.raises(TypeError, match=re.escape(repr(name))):
        layer.group_add("valid.group", name)
    with pytest.raises(TypeError, match=re.escape(repr(name))):
        layer.group_add(name, "valid.channel")


def test_names_up_to_the_length_limit_are_accepted(layer: Any) -> None:
    name = "n" * 199
    layer.send(name, {"n": 1})
    assert layer.receive([name]) == (name, {"n": 1})
    layer.group_add("g" * 199, name)
    assert layer.group_channels("g" * 199) == [name]


@pytest.mark.parametrize("group", ["", "has space", "bang!", "question?", "x" * 200])
def test_invalid_group_names_raise_value_error(layer: Any, group: str) -> None:
    shown = re.escape(repr(group[:40])[:-1])
    with pytest.raises(ValueError, match=shown):
        layer.group_add(group, "valid.channel")
    with pytest.raises(ValueError, match=shown):
        layer.send_group(group, {})
    with pytest.raises(ValueError, match=shown):
        layer.group_discard(group, "valid.channel")
    with pytest.raises(ValueError, match=shown):
        layer.group_channels(group)


def test_oversized_messages_raise_message_too_large(new_layer: Callable[..., Any]) -> None:
    layer = new_layer(max_message_size=1000)
    layer.send("sized", {"data": b"x" * 900})
    with pytest.raises(exceptions.MessageTooLarge, match="1000"):
        layer.send("sized", {"data": b"x" * 2000})
    with pytest.raises(layer.MessageTooLarge):
        layer.send("sized", {"data": "y" * 2000})
    layer.group_add("sized.group", "sized")
    with pytest.raises(exceptions.MessageTooLarge):
        layer.send_group("sized.group", {"data": b"x" * 2000})
    assert receive_all(layer, ["sized"]) == [("sized", {"data": b"x" * 900})]


def test_layer_exceptions_are_attributes_and_importable(layer: Any) -> None:
    assert layer.ChannelFull is exceptions.ChannelFull
    assert layer.MessageTooLarge is exceptions.MessageTooLarge
    assert issubclass(exceptions.ChannelFull, exceptions.ChannelLayerError)
    assert issubclass(exceptions.MessageTooLarge, exceptions.ChannelLayerError)


# -- capacity -------------------------------------------------------------------------------


def test_send_to_a_full_channel_raises_channel_full(new_layer: Callable[..., Any]) -> None:
    layer = new_layer(capacity=3)
    for number in range(3):
        layer.send("bounded", {"n": number})
    with pytest.raises(layer.ChannelFull, match=re.escape(repr("bounded"))):
        layer.send("bounded", {"n": 3})
    with pytest.raises(exceptions.ChannelFull):
        layer.send("bounded", {"n": 4})
    assert layer.global_statistics()["channel_full_count"] == 2
    layer.send("another", {"n": 0})  # capacity is per channel
    assert layer.receive(["bounded"]) == ("bounded", {"n": 0})
    layer.send("bounded", {"n": 5})  # room again after a receive
    assert [m["n"] for _, m in receive_all(layer, ["bounded"])] == [1, 2, 5]


def test_process_specific_capacity_is_shared_by_the_prefix(new_layer: Callable[..., Any]) -> None:
    layer = new_layer(capacity=2, process_capacity=5)
    for number in range(3):  # more than `capacity` on one channel: the prefix's limit applies
        layer.send("proc!a", {"n": number})
    layer.send("proc!b", {"n": 3})
    layer.send("proc!c", {"n": 4})
    with pytest.raises(layer.ChannelFull):
        layer.send("proc!d", {"n": 5})
    layer.send("elsewhere!a", {"n": 0})  # another prefix has its own queue
    assert len(receive_all(layer, ["proc!"])) == 5


def test_channel_capacity_overrides_by_glob_and_regex(new_layer: Callable[..., Any]) -> None:
    layer = new_layer(
        capacity=3,
        process_capacity=3,
        channel_capacity={"big.*": 6, re.compile(r"tiny$"): 1, "special.*!": 2},
    )
    expected = {"big.one": 6, "tiny": 1, "special.x!y": 2, "plain": 3, "other!y": 3}
    for channel, capacity in expected.items():
        for number in range(capacity):
            layer.send(channel, {"n": number})
        with pytest.raises(layer.ChannelFull):
            layer.send(channel, {"n": capacity})


def test_send_group_skips_full_members_counts_and_logs_them(
    new_layer: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    layer = new_layer(capacity=1, process_capacity=1)
    for member in ["full.member", "free.member", "fullproc!a", "fullproc!b"]:
        layer.group_add("crowd", member)
    layer.send("full.member", {"n": "first"})
    layer.send("fullproc!z", {"n": "first"})
    caplog.set_level(logging.WARNING, logger="channels")
    layer.send_group("crowd", {"n": "group"})  # must not raise
    assert layer.global_statistics()["group_send_skipped"] == 3
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("crowd" in record.getMessage() for record in warnings), caplog.records
    assert layer.receive(["free.member"]) == ("free.member", {"n": "group"})
    assert receive_all(layer, ["full.member"]) == [("full.member", {"n": "first"})]
    assert receive_all(layer, ["fullproc!"]) == [("fullproc!z", {"n": "first"})]


# -- groups ---------------------------------------------------------------------------------


def test_group_send_reaches_every_member(layer: Any) -> None:
    members = ["member.one", "member.two", "member.three"]
    for member in members:
        layer.group_add("everyone", member)
    layer.send_group("everyone", {"text": "hello"})
    for member in members:
        assert layer.receive([member]) == (member, {"text": "hello"})
        assert layer.receive([member]) == (None, None)


def test_group_channels_lists_the_current_members(layer: Any) -> None:
    assert layer.group_channels("listed") == []
    layer.group_add("listed", "a")
    layer.group_add("listed", "b!x")
    assert sorted(layer.group_channels("listed")) == ["a", "b!x"]


def test_group_add_is_idempotent(layer: Any) -> None:
    layer.group_add("twice", "member")
    layer.group_add("twice", "member")
    assert layer.group_channels("twice") == ["member"]
    layer.send_group("twice", {"n": 1})
    assert receive_all(layer, ["member"]) == [("member", {"n": 1})]


def test_group_discard_removes_a_member_and_is_idempotent(layer: Any) -> None:
    layer.group_add("leaving", "stays")
    layer.group_add("leaving", "goes")
    layer.group_discard("leaving", "goes")
    layer.group_discard("leaving", "goes")
    layer.group_discard("leaving", "never.added")
    layer.group_discard("no.such.group", "goes")
    assert layer.group_channels("leaving") == ["stays"]
    layer.send_group("leaving", {"n": 1})
    assert layer.receive(["goes"]) == (None, None)
    assert layer.receive(["stays"]) == ("stays", {"n": 1})


def test_send_group_to_an_empty_group_does_nothing(layer: Any) -> None:
    layer.send_group("nobody", {"n": 1})
    layer.group_add("emptied", "member")
    layer.group_discard("emptied", "member")
    layer.send_group("emptied", {"n": 1})
    assert layer.receive(["member"]) == (None, None)


def test_group_membership_expires(new_layer: Callable[..., Any]) -> None:
    layer = new_layer(group_expiry=0.2)
    layer.group_add("brief", "member")
    assert layer.group_channels("brief") == ["member"]
    time.sleep(0.5)  # expiry: nothing to wait on but time passing
    assert layer.group_channels("brief") == []
    layer.send_group("brief", {"n": 1})
    assert layer.receive(["member"]) == (None, None)


def test_process_specific_members_each_get_one_message_with_their_full_name(
    layer: Any,
) -> None:
    for member in ["daphne!a", "daphne!b", "daphne!c", "worker!a", "plain"]:
        layer.group_add("mixed", member)
    layer.send_group("mixed", {"text": "hi"})
    received = receive_all(layer, ["daphne!"])
    assert sorted(channel for channel, _ in received) == ["daphne!a", "daphne!b", "daphne!c"]
    assert all(message == {"text": "hi"} for _, message in received)
    assert receive_all(layer, ["worker!"]) == [("worker!a", {"text": "hi"})]
    assert receive_all(layer, ["plain"]) == [("plain", {"text": "hi"})]


def test_members_on_one_prefix_get_separate_deliveries(layer: Any) -> None:
    layer.group_add("shared", "proc!one")
    layer.group_add("shared", "proc!two")
    layer.send_group("shared", {"items": [1]})
    first_channel, first = layer.receive(["proc!"])
    first["items"].append("changed by the first receiver")
    second_channel, second = layer.receive(["proc!"])
    assert {first_channel, second_channel} == {"proc!one", "proc!two"}
    assert second == {"items": [1]}
    assert layer.receive(["proc!"]) == (None, None)


def test_group_and_channel_messages_keep_their_order(layer: Any) -> None:
    layer.group_add("ordered", "ordered.member")
    layer.send("ordered.member", {"n": 1})
    layer.send_group("ordered", {"n": 2})
    layer.send("ordered.member", {"n": 3})
    assert [m["n"] for _, m in receive_all(layer, ["ordered.member"])] == [1, 2, 3]


# -- flush and statistics -------------------------------------------------------------------


def test_flush_removes_messages_and_groups(layer: Any) -> None:
    layer.send("flushed", {"n": 1})
    layer.send("flushed.proc!a", {"n": 1})
    layer.group_add("flushed.group", "flushed")
    layer.flush()
    assert layer.receive(["flushed"]) == (None, None)
    assert layer.receive(["flushed.proc!"]) == (None, None)
    assert layer.group_channels("flushed.group") == []
    layer.send("flushed", {"n": 2})  # still usable afterwards
    assert layer.receive(["flushed"]) == ("flushed", {"n": 2})


def test_channel_statistics_report_pending_count_age_and_capacity(
    new_layer: Callable[..., Any],
) -> None:
    layer = new_layer(capacity=7, process_capacity=70)
    assert layer.channel_statistics("stats") == {
        "messages_pending": 0,
        "oldest_message_age": None,
        "capacity": 7,
    }
    for number in range(3):
        layer.send("stats", {"n": number})
    stats = layer.channel_statistics("stats")
    assert stats["messages_pending"] == 3
    assert stats["capacity"] == 7
    assert 0 <= stats["oldest_message_age"] < CALL_DEADLINE
    layer.send("stats.proc!a", {"n": 1})
    layer.send("stats.proc!b", {"n": 2})
    stats = layer.channel_statistics("stats.proc!a")
    assert stats["messages_pending"] == 2  # the prefix's queue holds both
    assert stats["capacity"] == 70


def test_global_statistics_count_what_this_layer_did(new_layer: Callable[..., Any]) -> None:
    layer = new_layer()
    assert set(COUNTERS) <= set(layer.global_statistics())
    for number in range(3):
        layer.send("counted", {"n": number})
    layer.receive(["counted"])
    layer.receive(["counted"])
    layer.group_add("counted.group", "counted.a")
    layer.group_add("counted.group", "counted.b")
    layer.send_group("counted.group", {"n": 1})
    stats = layer.global_statistics()
    assert stats["messages_sent"] == 3
    assert stats["messages_received"] == 2
    assert stats["group_messages_sent"] == 2
    assert stats["group_send_skipped"] == 0


# -- threads, event loops and processes -----------------------------------------------------


def receive_in_thread(
    layer: BaseChannelLayer, channels: list[str], timeout: float = LONG_BLOCK
) -> tuple[threading.Event, threading.Event, list[Any]]:
    """Start a thread doing one blocking receive; return (started, done, [result])."""
    started, done, result = threading.Event(), threading.Event(), []

    def run() -> None:
        started.set()
        try:
            result.append(layer.receive(channels, block=True, timeout=timeout))
        except BaseException as exc:
            result.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, daemon=True).start()
    assert started.wait(WAKE_DEADLINE)
    return started, done, result


WAKE_SENDS = {
    "channel": (["woken"], lambda layer: layer.send("woken", {"n": 1}), "woken"),
    "process-specific": (["woken!"], lambda layer: layer.send("woken!a", {"n": 1}), "woken!a"),
    "group": (
        ["woken.member"],
        lambda layer: layer.send_group("woken.group", {"n": 1}),
        "woken.member",
    ),
}


@pytest.mark.parametrize(("listen", "send", "expected"), WAKE_SENDS.values(), ids=WAKE_SENDS)
def test_blocking_receive_in_a_thread_wakes_when_another_thread_sends(
    make_layer: LayerFactory, listen: list[str], send: Callable[[Any], None], expected: str
) -> None:
    layer = make_layer(block_timeout=LONG_BLOCK)
    layer.group_add("woken.group", "woken.member")
    _, done, result = receive_in_thread(layer, listen)
    send(layer)
    assert done.wait(WAKE_DEADLINE), f"receive not woken within {WAKE_DEADLINE} s"
    assert result == [(expected, {"n": 1})]


def test_areceive_on_a_loop_wakes_when_a_thread_sends(
    make_layer: LayerFactory, loop_thread: LoopThread
) -> None:
    layer = make_layer()
    future = loop_thread.submit(layer.areceive(["to.loop"], block=True, timeout=LONG_BLOCK))
    layer.send("to.loop", {"n": 1})
    assert future.result(WAKE_DEADLINE) == ("to.loop", {"n": 1})


def test_blocking_receive_in_a_thread_wakes_when_a_coroutine_sends(
    make_layer: LayerFactory, loop_thread: LoopThread
) -> None:
    layer = make_layer()
    _, done, result = receive_in_thread(layer, ["from.loop!"])
    loop_thread.run(layer.asend("from.loop!x", {"n": 1}))
    assert done.wait(WAKE_DEADLINE), f"receive not woken within {WAKE_DEADLINE} s"
    assert result == [("from.loop!x", {"n": 1})]


def test_cancelling_areceive_does_not_lose_a_message(
    make_layer: LayerFactory, loop_thread: LoopThread
) -> None:
    layer = make_layer(capacity=1000)
    rounds = 60

    async def scenario() -> list[int]:
        delivered = []
        for number in range(rounds):
            task = asyncio.ensure_future(
                layer.areceive(["cancelled"], block=True, timeout=LONG_BLOCK)
            )
            for _ in range(number % 4):
                await asyncio.sleep(0)  # vary where in areceive the cancel lands
            if number % 2:
                await layer.asend("cancelled", {"n": number})
            else:
                await asyncio.to_thread(layer.send, "cancelled", {"n": number})
            for _ in range(number % 3):
                await asyncio.sleep(0)
            task.cancel()
            try:
                channel, message = await task
            except asyncio.CancelledError:
                continue
            assert channel == "cancelled"
            delivered.append(message["n"])
        return delivered

    delivered = loop_thread.run(scenario())
    left = [message["n"] for _, message in receive_all(layer, ["cancelled"])]
    assert sorted(delivered + left) == list(range(rounds))


RECEIVER_SCRIPT = r"""
import base64, importlib, json, pickle, sys
class_path, options, channel = pickle.loads(base64.b64decode(sys.argv[1]))
module, _, name = class_path.rpartition(".")
layer = getattr(importlib.import_module(module), name)(**options)
got, stopped = [], False
try:
    while True:
        _, message = layer.receive([channel], block=True, timeout=10)
        if message is None or message.get("stop"):
            stopped = message is not None
            break
        got.append(message["n"])
finally:
    layer.close()
json.dump({"got": got, "stopped": stopped}, sys.stdout)
"""


def start_receiver_process(backend: LayerBackend, options: dict[str, Any], channel: str) -> Any:
    """A subprocess that receives from ``channel`` until a stop message; see RECEIVER_SCRIPT."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    spec = pickle.dumps((backend.class_path, {**backend.options, **options}, channel))
    return subprocess.Popen(
        [sys.executable, "-c", RECEIVER_SCRIPT, base64.b64encode(spec).decode("ascii")],
        stdout=subprocess.PIPE,
        env=env,
    )


def test_each_message_is_delivered_exactly_once_under_contention(
    layer_backend: LayerBackend, make_layer: LayerFactory, loop_thread: LoopThread
) -> None:
    total, channel = 20_000, "contended"
    options = {"capacity": total + 100}
    layer = make_layer(**options)
    processes = [
        start_receiver_process(layer_backend, options, channel)
        for _ in range(2 if layer_backend.multiprocess else 0)
    ]
    thread_count, coroutine_count = 3, 3
    results: list[tuple[list[int], bool]] = []
    lock = threading.Lock()

    def thread_receiver() -> None:
        got, stopped = [], False
        while True:
            _, message = layer.receive([channel], block=True, timeout=LONG_BLOCK)
            if message is None or message.get("stop"):
                stopped = message is not None
                break
            got.append(message["n"])
        with lock:
            results.append((got, stopped))

    async def coroutine_receiver() -> tuple[list[int], bool]:
        got = []
        while True:
            _, message = await layer.areceive([channel], block=True, timeout=LONG_BLOCK)
            if message is None or message.get("stop"):
                return got, message is not None
            got.append(message["n"])

    async def coroutine_receivers() -> list[tuple[list[int], bool]]:
        return list(await asyncio.gather(*(coroutine_receiver() for _ in range(coroutine_count))))

    def sender(start: int) -> None:
        for number in range(start, total, 2):
            layer.send(channel, {"n": number})

    try:
        threads = [threading.Thread(target=thread_receiver) for _ in range(thread_count)]
        senders = [threading.Thread(target=sender, args=(start,)) for start in (0, 1)]
        coroutines = loop_thread.submit(coroutine_receivers())
        for thread in threads + senders:
            thread.start()
        for thread in senders:
            thread.join(CALL_DEADLINE)
            assert not thread.is_alive(), "sending took too long"
        for _ in range(thread_count + coroutine_count + len(processes)):
            layer.send(channel, {"stop": True})
        for thread in threads:
            thread.join(CALL_DEADLINE)
            assert not thread.is_alive(), "a receiving thread did not finish"
        results.extend(coroutines.result(CALL_DEADLINE))
        for process in processes:
            out, _ = process.communicate(timeout=CALL_DEADLINE)
            assert process.returncode == 0, "a receiving process failed"
            outcome = json.loads(out)
            results.append((outcome["got"], outcome["stopped"]))
    finally:
        for process in processes:  # only left running when the test already failed
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=CALL_DEADLINE)

    assert all(stopped for _, stopped in results), "a receiver timed out instead of stopping"
    delivered = Counter(number for got, _ in results for number in got)
    duplicates = sorted(number for number, times in delivered.items() if times > 1)
    missing = sorted(set(range(total)) - set(delivered))
    assert not duplicates, f"{len(duplicates)} delivered twice, e.g. {duplicates[:10]}"
    assert not missing, f"{len(missing)} never delivered, e.g. {missing[:10]}"
    assert layer.receive([channel]) == (None, None)
