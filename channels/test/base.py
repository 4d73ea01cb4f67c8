"""Test cases with fresh channel layers, and ``apply_routes``.

Every test of a :class:`ChannelTestCase` (or :class:`TransactionChannelTestCase`) runs on new
in-memory layers for the aliases in ``test_channel_aliases``, carrying the project's
``ROUTING``; the previous layers come back afterwards. Nothing a test sends reaches a real
Redis, and no message leaks from one test to the next.

``apply_routes(routes)`` swaps the routing of a layer for the duration of a test, a ``with``
block, or every test of a class.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from django.test import TestCase, TransactionTestCase

from .. import DEFAULT_CHANNEL_LAYER
from ..asgi import ChannelLayerWrapper, channel_layers
from ..layers.inmemory import InMemoryChannelLayer
from ..message import Message
from ..routing import Include, Router, expand_routing
from .oncommit import run_commit_callbacks, running_commit_callbacks

T = TypeVar("T")


def _project_routing(alias: str) -> Any:
    """The routing ``alias`` has now: the live wrapper's, else ``CHANNEL_LAYERS``'s (read
    without building the configured layer: a test must not need Redis to start)."""
    wrapper = channel_layers.loaded(alias)
    if wrapper is not None:
        return wrapper.routing
    config = channel_layers.configs.get(alias)
    return config.get("ROUTING", []) if isinstance(config, dict) else []


@contextlib.contextmanager
def fresh_channel_layers(
    aliases: Iterable[str] = (DEFAULT_CHANNEL_LAYER,),
) -> Iterator[dict[str, ChannelLayerWrapper]]:
    """New in-memory layers for ``aliases`` (with their project routing) inside the block.

    What the test cases use; also a ready-made pytest fixture body::

        @pytest.fixture(autouse=True)
        def channel_layers_for_test():
            with fresh_channel_layers() as layers:
                yield layers
    """
    fresh: dict[str, ChannelLayerWrapper] = {}
    previous: dict[str, ChannelLayerWrapper | None] = {}
    try:
        for alias in aliases:
            routing = _project_routing(alias)
            # A list copy: apply_routes or add_route in one test must not leak into the next.
            if isinstance(routing, list):
                routing = list(routing)
            fresh[alias] = ChannelLayerWrapper(InMemoryChannelLayer(), alias, routing)
            previous[alias] = channel_layers.set(alias, fresh[alias])
        yield fresh
    finally:
        for alias, wrapper in previous.items():
            channel_layers.set(alias, wrapper)  # type: ignore[arg-type]  # None: rebuilt on use
        for wrapper in fresh.values():
            wrapper.channel_layer.close()


class ChannelTestCaseMixin:
    """Fresh in-memory layers for every test, and :meth:`get_next_message`.

    The ``transaction.on_commit()`` callbacks a test registers run when the test tools look
    at a layer and at the end of the test (see :mod:`channels.test.oncommit`), so that
    bindings' frames reach the test although its transaction never commits.

    Mix into a Django ``SimpleTestCase`` subclass; :class:`ChannelTestCase` and
    :class:`TransactionChannelTestCase` are the ready-made ones.
    """

    #: The layer aliases replaced for each test.
    test_channel_aliases: list[str] = [DEFAULT_CHANNEL_LAYER]

    def _setup_and_call(self, result: Any, debug: bool = False) -> None:
        # Around Django's whole per-test sequence (_pre_setup, setUp, the test, tearDown,
        # _post_teardown). Not in _pre_setup: Django 5 made that a classmethod that a
        # TransactionTestCase may run once, early, in setUpClass.
        with fresh_channel_layers(self.test_channel_aliases), running_commit_callbacks() as cb:
            # A TestCase never commits: on-commit callbacks (binding frames) run when the
            # test tools look, and after tearDown (see channels.test.oncommit).
            self.addCleanup(cb.run)  # type: ignore[attr-defined]
            super()._setup_and_call(result, debug)  # type: ignore[misc]

    def get_next_message(
        self, channel: str, alias: str = DEFAULT_CHANNEL_LAYER, require: bool = False
    ) -> Message | None:
        """The next message waiting on ``channel`` (no waiting), or None; with ``require``,
        fail the test instead of returning None."""
        run_commit_callbacks()
        wrapper = channel_layers[alias]
        received, content = wrapper.receive([channel], block=False)
        if received is None:
            if require:
                raise self.failureException(  # type: ignore[attr-defined]
                    f"expected a message on {channel!r} (layer {alias!r}), none was waiting"
                )
            return None
        return Message(content, received, wrapper)


class ChannelTestCase(ChannelTestCaseMixin, TestCase):
    """Django's ``TestCase`` (each test in a transaction) with fresh channel layers."""


class TransactionChannelTestCase(ChannelTestCaseMixin, TransactionTestCase):
    """Django's ``TransactionTestCase`` (tables emptied after each test) with fresh layers."""


def _as_routing(routes: Any) -> Any:
    """One routing entry, a list of them, a list of lists (each an ``include``), or anything
    ``ROUTING`` accepts (dict, dotted path) → a routing list."""
    if isinstance(routes, str | dict):
        return expand_routing(routes)
    if not isinstance(routes, list | tuple):
        routes = [routes]
    return [Include(list(entry)) if isinstance(entry, list | tuple) else entry for entry in routes]


class apply_routes:
    """Route with ``routes`` instead of the layer's ``ROUTING`` for a while::

        @apply_routes([route("websocket.receive", echo)])
        def test_echo(self): ...

        @apply_routes(EchoConsumer.as_route(path=r"^/echo/$"))
        class EchoTests(ChannelTestCase): ...          # every test of the class

        with apply_routes([route("a_task_channel", task)], aliases=["default", "other"]):
            ...

    ``routes`` is one routing entry, a list of them, a list of lists (each becomes an
    ``include``), a dict or a dotted path. ``aliases`` (default ``["default"]``) are the layers
    whose routing changes. The defaults a worker adds (HTTP to views, WebSocket accept) are
    not included; a ``Worker`` started on the layer adds them as usual.
    """

    def __init__(self, routes: Any, aliases: Iterable[str] | None = None) -> None:
        if isinstance(aliases, str):
            raise TypeError(f"apply_routes(aliases=...) takes a list of aliases, got {aliases!r}")
        self.routing = _as_routing(routes)
        self.aliases = list(aliases) if aliases is not None else [DEFAULT_CHANNEL_LAYER]
        self._saved: list[list[tuple[ChannelLayerWrapper, Any, Any]]] = []

    def __enter__(self) -> apply_routes:
        saved = []
        for alias in self.aliases:
            wrapper = channel_layers[alias]
            saved.append((wrapper, wrapper.routing, wrapper.__dict__.get("router")))
            wrapper.routing = self.routing
            wrapper.router = Router(self.routing)  # replaces the cached router
        self._saved.append(saved)
        return self

    def __exit__(self, *exc: Any) -> None:
        for wrapper, routing, router in reversed(self._saved.pop()):
            wrapper.routing = routing
            if router is None:
                wrapper.__dict__.pop("router", None)
            else:
                wrapper.router = router

    def __call__(self, target: T) -> T:
        if inspect.isclass(target):
            return self._decorate_class(target)  # type: ignore[return-value]
        if inspect.iscoroutinefunction(target):

            @functools.wraps(target)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self:
                    return await target(*args, **kwargs)

            return run_async  # type: ignore[return-value]
        if not callable(target):
            raise TypeError(f"apply_routes decorates a function or a class, got {target!r}")
        function: Callable[..., Any] = target

        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self:
                return function(*args, **kwargs)

        return run  # type: ignore[return-value]

    def _decorate_class(self, cls: type) -> type:
        """Apply around every test: entered before ``setUp``, left after the cleanups."""
        if not hasattr(cls, "addCleanup"):
            raise TypeError(
                f"apply_routes can decorate a unittest/Django TestCase class, not {cls!r}; "
                "decorate its test functions instead"
            )
        original_setup = cls.setUp  # type: ignore[attr-defined]
        context = self

        @functools.wraps(original_setup)
        def setUp(test: Any, *args: Any, **kwargs: Any) -> None:
            context.__enter__()
            # Cleanups run after tearDown, last in first out: this one runs last.
            test.addCleanup(context.__exit__, None, None, None)
            original_setup(test, *args, **kwargs)

        cls.setUp = setUp  # type: ignore[attr-defined]
        return cls


__all__ = [
    "ChannelTestCase",
    "ChannelTestCaseMixin",
    "TransactionChannelTestCase",
    "apply_routes",
    "fresh_channel_layers",
]
