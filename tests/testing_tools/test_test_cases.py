"""ChannelTestCase / TransactionChannelTestCase and apply_routes, run by pytest-django (the
same classes run under Django's runner in test_runners.py)."""

from __future__ import annotations

import contextlib
import re
import textwrap
import unittest
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group as AuthGroup
from django.db import transaction

from channels import Group
from channels.asgi import channel_layers
from channels.layers.inmemory import InMemoryChannelLayer
from channels.routing import route
from channels.test import (
    ChannelTestCase,
    Client,
    TransactionChannelTestCase,
    apply_routes,
    fresh_channel_layers,
)
from channels.test.oncommit import run_commit_callbacks
from tests.testing_tools import consumers

PROJECT_ROUTING = "tests.project.routing.channel_routing"
seen_layers: list[InMemoryChannelLayer] = []


class FreshLayerTests(ChannelTestCase):
    test_channel_aliases = ["default", "other"]

    def check_fresh_layer_then_leave_a_message(self) -> None:
        self.assertIsNone(self.get_next_message("leak"))
        wrapper = channel_layers["default"]
        self.assertIsInstance(wrapper.channel_layer, InMemoryChannelLayer)
        # The layers themselves are kept (not their ids, which CPython reuses once freed).
        self.assertFalse(any(layer is wrapper.channel_layer for layer in seen_layers))
        seen_layers.append(wrapper.channel_layer)
        wrapper.send("leak", {"left": "behind"})

    def test_first(self) -> None:
        self.check_fresh_layer_then_leave_a_message()

    def test_second(self) -> None:
        self.check_fresh_layer_then_leave_a_message()

    def test_the_project_routing_comes_along(self) -> None:
        self.assertEqual(channel_layers["default"].routing, PROJECT_ROUTING)
        Client().send("a_task_channel", {"value": 1, "notify": "notes"})
        Client().consume("a_task_channel")  # routed by @Channel.consumer in the project
        self.assertEqual(self.get_next_message("notes", require=True)["value"], 1)

    def test_every_listed_alias_gets_a_layer(self) -> None:
        other = channel_layers["other"]
        self.assertIsInstance(other.channel_layer, InMemoryChannelLayer)
        other.send("x", {"n": 1})
        self.assertIsNone(self.get_next_message("x"))
        self.assertEqual(self.get_next_message("x", alias="other")["n"], 1)

    def test_require_fails_the_test_when_nothing_waits(self) -> None:
        with self.assertRaisesRegex(self.failureException, "expected a message on 'empty'"):
            self.get_next_message("empty", require=True)


class RoutesOnTests(ChannelTestCase):
    test_channel_aliases = ["default", "other"]

    @apply_routes([route("echo", consumers.echo)])
    def test_as_a_function_decorator(self) -> None:
        client = Client()
        client.send_and_consume("echo", {"n": 1})
        self.assertEqual(client.receive()["got"], {"n": 1})

    def test_as_a_context_manager_restoring_the_routing_afterwards(self) -> None:
        wrapper = channel_layers["default"]
        before = wrapper.router
        with apply_routes(route("echo", consumers.echo)):
            self.assertIsNot(wrapper.router, before)
            Client().send_and_consume("echo", {"n": 2})
        self.assertIs(wrapper.router, before)
        self.assertEqual(wrapper.routing, PROJECT_ROUTING)
        with self.assertRaisesRegex(AssertionError, "no route"):
            Client().send_and_consume("echo", {"n": 3})

    def test_aliases_name_the_layers_that_change(self) -> None:
        with apply_routes([route("echo", consumers.other_echo)], aliases=["other"]):
            other = Client(alias="other")
            other.send_and_consume("echo")
            self.assertEqual(other.receive(), {"other": True})
            with self.assertRaisesRegex(AssertionError, "no route"):
                Client().send_and_consume("echo")

    def test_a_list_of_lists_becomes_includes(self) -> None:
        with apply_routes([[route("echo", consumers.echo)], [route("echo", consumers.other_echo)]]):
            client = Client()
            client.send_and_consume("echo", {"n": 4})
            self.assertEqual(client.receive()["got"], {"n": 4})

    def test_a_string_alias_list_is_refused(self) -> None:
        with self.assertRaisesRegex(TypeError, "list of aliases"):
            apply_routes([], aliases="other")  # type: ignore[arg-type]


@apply_routes([route("echo", consumers.other_echo)])
class ClassDecoratedTests(ChannelTestCase):
    def setUp(self) -> None:
        # Routes are in place before the class's own setUp runs.
        self.consumer = Client().get_consumer_by_channel("echo")

    def test_every_test_of_the_class_gets_the_routes(self) -> None:
        self.assertIs(self.consumer, consumers.other_echo)

    def test_and_so_does_this_one(self) -> None:
        client = Client()
        client.send_and_consume("echo")
        self.assertEqual(client.receive(), {"other": True})


class TransactionTests(TransactionChannelTestCase):
    @apply_routes([route("db", consumers.make_auth_group)])
    def test_a_consumer_commits_to_the_test_database(self) -> None:
        client = Client()
        client.send_and_consume("db", {"name": "committed"})
        self.assertEqual(client.receive(), {"created": "committed"})
        self.assertTrue(AuthGroup.objects.filter(name="committed").exists())


class OnCommitTests(ChannelTestCase):
    """The test's transaction never commits; its on-commit callbacks run when it looks."""

    def test_callbacks_the_test_registers_run_before_it_reads(self) -> None:
        client = Client()
        client.join_group("news")
        transaction.on_commit(lambda: Group("news").send({"n": 1}))
        self.assertEqual(client.receive(), {"n": 1})
        transaction.on_commit(lambda: Group("news").send({"n": 2}))
        message = self.get_next_message(client.reply_channel, require=True)
        self.assertEqual(message.content, {"n": 2})
        self.assertIsNone(client.receive())

    @apply_routes([route("db", consumers.make_auth_group_on_commit)])
    def test_a_consumers_callbacks_go_out_when_it_returns_after_its_own_sends(self) -> None:
        client = Client()
        client.send_and_consume("db", {"name": "editors"})
        self.assertEqual(client.receive(), {"created": "editors"})
        self.assertEqual(client.receive(), {"committed": "editors"})
        self.assertIsNone(client.receive())

    def test_a_rolled_back_savepoint_sends_nothing(self) -> None:
        client = Client()
        client.join_group("news")
        with contextlib.suppress(RuntimeError), transaction.atomic():
            transaction.on_commit(lambda: Group("news").send({"rolled": "back"}))
            raise RuntimeError("roll back")
        self.assertIsNone(client.receive())

    def test_each_callback_runs_once(self) -> None:
        runs: list[int] = []
        transaction.on_commit(lambda: runs.append(1))
        self.assertEqual(run_commit_callbacks(), 1)
        self.assertEqual(run_commit_callbacks(), 0)
        self.assertIsNone(Client().receive())
        self.assertEqual(runs, [1])

    def test_a_robust_callback_that_raises_is_logged_and_others_still_run(self) -> None:
        runs: list[str] = []

        def broken() -> None:
            raise ValueError("boom")

        transaction.on_commit(broken, robust=True)
        transaction.on_commit(lambda: runs.append("after"))
        with self.assertLogs("channels.test", "ERROR") as logs:
            self.assertIsNone(Client().receive())
        self.assertIn("broken", logs.output[0])
        self.assertEqual(runs, ["after"])


@pytest.mark.django_db
def test_callbacks_a_test_left_unread_run_after_its_teardown() -> None:
    events: list[str] = []

    class Inner(ChannelTestCase):
        def tearDown(self) -> None:
            events.append("teardown")

        def test_registers(self) -> None:
            transaction.on_commit(lambda: events.append("callback"))
            events.append("test")

    result = unittest.TestResult()
    unittest.TestSuite([Inner("test_registers")]).run(result)
    assert result.wasSuccessful(), result.errors + result.failures
    assert events == ["test", "teardown", "callback"]


@pytest.mark.django_db(transaction=True)
def test_outside_a_channel_test_case_callbacks_wait_for_the_commit() -> None:
    runs: list[str] = []
    with transaction.atomic():
        transaction.on_commit(lambda: runs.append("committed"))
        assert run_commit_callbacks() == 0
        assert runs == []
    assert runs == ["committed"]


def test_the_test_cases_leave_the_configured_layers_in_place() -> None:
    before = channel_layers["default"]
    with fresh_channel_layers() as fresh:
        assert channel_layers["default"] is fresh["default"] is not before
    assert channel_layers["default"] is before


@pytest.fixture
def layers():
    with fresh_channel_layers() as fresh:
        yield fresh


@apply_routes([route("echo", consumers.echo)])
def test_flat_pytest_functions_use_the_same_tools(layers) -> None:
    client = Client()
    client.send_and_consume("echo", {"n": 5})
    assert client.receive()["got"] == {"n": 5}
    assert channel_layers["default"] is layers["default"]


@apply_routes([route("async.echo", consumers.async_echo)])
async def test_apply_routes_decorates_async_test_functions(layers) -> None:
    wrapper = channel_layers["default"]
    assert wrapper.router.match is not None
    assert [entry.consumer for entry in wrapper.router.root.routing] == [consumers.async_echo]


def test_apply_routes_refuses_a_class_that_is_not_a_test_case() -> None:
    with pytest.raises(TypeError, match="TestCase class"):
        apply_routes([])(type("NotATest", (), {}))


@pytest.mark.django_db
def test_the_on_commit_example_of_the_testing_docs_passes() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "testing.rst").read_text("utf-8")
    found = re.search(r"\.\. code-block:: python\n\n((?:(?:    [^\n]*)?\n)+)", _after(page))
    assert found is not None
    namespace: dict[str, Any] = {"__name__": "docs_testing_example"}
    exec(compile(textwrap.dedent(found.group(1)), "testing.rst", "exec"), namespace)
    case = namespace["NewsTests"]
    result = unittest.TestResult()
    unittest.TestSuite([case("test_news_goes_out_when_the_change_would_commit")]).run(result)
    assert result.wasSuccessful(), result.errors + result.failures
    assert result.testsRun == 1


def _after(page: str) -> str:
    return page[page.index("On-commit callbacks") :]
