"""Client and WSClient against real routed consumers, inside ChannelTestCase."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group as AuthGroup
from django.contrib.auth.models import User

from channels.routing import route
from channels.test import ChannelTestCase, Client, HttpClient, WSClient, apply_routes
from tests.testing_tools import consumers


@apply_routes(
    [
        route("echo", consumers.echo, path=r"^/(?P<room>\w+)/$"),
        route("async.echo", consumers.async_echo),
        route("task", consumers.task),
        route("db", consumers.make_auth_group),
        route("websocket.connect", consumers.deny, path=r"^/deny/"),
        route("websocket.connect", consumers.close_4000, path=r"^/close/"),
        consumers.Greeter.as_route(path=r"^/greet/"),
        consumers.HeadersAndQuery.as_route(path=r"^/headers/"),
        consumers.WhoAmI.as_route(path=r"^/who/"),
        consumers.JsonEcho.as_route(),
    ]
)
class ClientTests(ChannelTestCase):
    def test_send_and_consume_runs_the_routed_consumer_and_receive_reads_its_reply(self):
        client = Client()
        client.send_and_consume("echo", {"path": "/kitchen/", "n": 1})
        self.assertEqual(
            client.receive(), {"got": {"path": "/kitchen/", "n": 1}, "kwargs": {"room": "kitchen"}}
        )
        self.assertIsNone(client.receive())

    def test_sends_of_a_consumer_go_out_when_it_finishes(self):
        Client().send_and_consume("task", {"value": 7})
        self.assertEqual(self.get_next_message("task.done", require=True).content, {"value": 7})

    def test_an_async_consumer_runs_to_completion(self):
        client = Client()
        client.send_and_consume("async.echo", {"value": "v"})
        self.assertEqual(client.receive(), {"async": "v"})

    def test_consume_with_nothing_waiting_or_no_route_fails_unless_told_not_to(self):
        client = Client()
        with self.assertRaisesRegex(AssertionError, "no message waiting on 'echo'"):
            client.consume("echo")
        self.assertIsNone(client.consume("echo", fail_on_none=False))
        client.send("echo", {"path": "/not a room/"})
        with self.assertRaisesRegex(AssertionError, "no route .* with path '/not a room/'"):
            client.consume("echo")

    def test_a_consumer_writes_to_the_test_database(self):
        client = Client()
        client.send_and_consume("db", {"name": "editors"})
        self.assertEqual(client.receive(), {"created": "editors"})
        self.assertTrue(AuthGroup.objects.filter(name="editors").exists())

    def test_join_group_makes_the_client_a_member(self):
        client = Client()
        client.join_group("news")
        self.assertEqual(client.channel_layer.group_channels("news"), [client.reply_channel])

    def test_get_consumer_by_channel_finds_the_route(self):
        self.assertIs(Client().get_consumer_by_channel("task"), consumers.task)
        self.assertIsNone(Client().get_consumer_by_channel("nothing.here"))

    def test_wsclient_connect_checks_the_socket_was_accepted(self):
        client = WSClient()
        client.send_and_consume("websocket.connect", path="/json/")
        client.send_and_consume("websocket.receive", text={"a": 1}, path="/json/")
        self.assertEqual(client.receive(), {"echo": {"a": 1}, "path": "/json/"})
        self.assertEqual(client.receive(json=False), None)

    def test_a_refused_connect_fails_the_accept_check(self):
        client = WSClient()
        with self.assertRaisesRegex(AssertionError, r"not accepted.*'close': True"):
            client.send_and_consume("websocket.connect", path="/deny/")
        client.send_and_consume("websocket.connect", path="/close/", check_accept=False)
        self.assertEqual(client.receive(), {"close": 4000})

    def test_a_connect_answered_with_data_counts_as_accepted_and_keeps_the_data(self):
        client = WSClient()
        client.send_and_consume("websocket.connect", path="/greet/")
        self.assertEqual(client.receive(json=False), "welcome")

    def test_headers_are_sent_in_list_form_with_the_query_string_as_bytes(self):
        client = WSClient()
        client.set_header("X-Token", "t0k")
        client.set_cookie("flavour", "oat")
        client.send("websocket.connect", path="/headers/?a=1&b=2")
        sent = client.get_next_message("websocket.connect")
        headers = dict((bytes(k), bytes(v)) for k, v in sent["headers"])
        self.assertEqual(headers[b"x-token"], b"t0k")
        self.assertIn(b"flavour=oat", headers[b"cookie"])
        self.assertIn(f"{settings.SESSION_COOKIE_NAME}=".encode(), headers[b"cookie"])
        self.assertEqual(sent["query_string"], b"a=1&b=2")
        client.send_and_consume("websocket.connect", path="/headers/?a=1&b=2")
        self.assertEqual(client.receive(json=False), "a=1&b=2|t0k")
        with self.assertRaisesRegex(ValueError, "set_cookie"):
            client.set_header("Cookie", "x=y")

    def test_headers_is_a_dict_with_the_encoded_cookies_as_in_1x(self):
        client = WSClient()
        client.set_header("x-token", "t0k")
        client.set_header("x-raw", b"bytes")
        client.set_cookie("flavour", "oat")
        headers = client.headers
        self.assertIsInstance(headers, dict)
        self.assertEqual(headers["x-token"], "t0k")
        self.assertEqual(headers["x-raw"], b"bytes")
        self.assertIsInstance(headers["cookie"], bytes)
        self.assertIn(b"flavour=oat", headers["cookie"])
        self.assertIn(f"{settings.SESSION_COOKIE_NAME}=".encode(), headers["cookie"])
        headers["x-token"] = "changed"  # a copy: the connection is not changed
        self.assertEqual(client.headers["x-token"], "t0k")
        # The message itself carries ASGI list-form headers, cookie included.
        client.send("websocket.connect", path="/headers/")
        sent = client.get_next_message("websocket.connect")["headers"]
        self.assertIn([b"x-token", b"t0k"], sent)
        self.assertIn([b"x-raw", b"bytes"], sent)
        self.assertIn([b"cookie", headers["cookie"]], sent)

    def test_receive_returns_the_text_whatever_its_type(self):
        client = WSClient()
        layer = client.channel_layer
        for reply in (
            {"text": '{"a": 1}'},
            {"text": '{"a": 1}'},
            {"text": None, "close": True},
            {"text": b"raw"},
            {"bytes": b"data"},
        ):
            layer.send(client.reply_channel, reply)
        self.assertEqual(client.receive(), {"a": 1})
        self.assertEqual(client.receive(json=False), '{"a": 1}')
        self.assertIsNone(client.receive())  # content.get("text", content)
        self.assertEqual(client.receive(), b"raw")
        self.assertEqual(client.receive(), {"bytes": b"data"})
        self.assertIsNone(client.receive())

    def test_messages_carry_the_order_an_interface_server_gives_them(self):
        client = WSClient()
        client.send("websocket.connect", path="/json/")
        client.send("websocket.receive", text="a", path="/json/")
        client.send("websocket.disconnect", path="/json/")
        orders = [
            client.get_next_message(c)["order"]
            for c in ("websocket.connect", "websocket.receive", "websocket.disconnect")
        ]
        self.assertEqual(orders, [0, 1, 2])
        receive = client.get_next_message  # frames have no headers, as from a browser
        client.send("websocket.receive", text="b")
        self.assertNotIn("headers", receive("websocket.receive").content)

    def test_ordered_mode_refuses_an_order_set_by_hand(self):
        client = WSClient(ordered=True)
        with self.assertRaisesRegex(ValueError, "numbers messages itself"):
            client.send("websocket.receive", {"order": 5}, text="x")
        WSClient().send("websocket.receive", {"order": 5}, text="x")
        self.assertEqual(self.get_next_message("websocket.receive")["order"], 5)

    def test_force_login_makes_the_socket_logged_in(self):
        user = User.objects.create_user("ann", password="pw-ann-123")
        client = WSClient()
        client.force_login(user)
        client.send_and_consume("websocket.connect", path="/who/")
        self.assertEqual(client.receive(json=False), "ann")
        client.send_and_consume("websocket.receive", text="x", path="/who/")
        self.assertEqual(client.receive(json=False), "still ann")

    def test_login_with_credentials(self):
        User.objects.create_user("bob", password="pw-bob-123")
        client = WSClient()
        self.assertFalse(client.login(username="bob", password="wrong"))
        self.assertTrue(client.login(username="bob", password="pw-bob-123"))
        client.send_and_consume("websocket.connect", path="/who/")
        self.assertEqual(client.receive(json=False), "bob")

    def test_without_login_the_socket_is_anonymous_and_has_a_session(self):
        client = WSClient()
        client.session["k"] = "v"
        client.session.save()
        self.assertTrue(client.session.session_key)
        client.send_and_consume("websocket.connect", path="/who/")
        self.assertEqual(client.receive(json=False), "anonymous")

    def test_httpclient_is_the_old_name_of_wsclient(self):
        self.assertIs(HttpClient, WSClient)
