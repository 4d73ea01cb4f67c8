"""Test cases run in a subprocess by test_runners.py, once by Django's test runner and once
by pytest-django, with a file-based test database and ``live_routing`` as the ROUTING.

Not named ``test_*``: the main test run must not collect them (their live server needs the
file database that only the subprocess has).
"""

from __future__ import annotations

import json

import httpx
from django.contrib.auth.models import User
from websockets.sync.client import connect

from channels.routing import route
from channels.test import ChannelLiveServerTestCase, ChannelTestCase, WSClient, apply_routes
from tests.testing_tools import consumers

DEADLINE = 10.0


class ToolsUnderThisRunner(ChannelTestCase):
    def test_wsclient_talks_to_the_routed_json_consumer(self) -> None:
        client = WSClient()
        client.send_and_consume("websocket.connect", path="/json/")
        client.send_and_consume("websocket.receive", text={"n": 1}, path="/json/")
        self.assertEqual(client.receive(), {"echo": {"n": 1}, "path": "/json/"})

    @apply_routes([route("echo", consumers.echo)])
    def test_apply_routes(self) -> None:
        client = WSClient()
        client.send_and_consume("echo", {"n": 2})
        self.assertEqual(client.receive()["got"]["n"], 2)


class LiveSiteTests(ChannelLiveServerTestCase):
    def test_the_urls_name_the_server(self) -> None:
        self.assertRegex(self.live_server_url, r"^http://127\.0\.0\.1:\d+$")
        self.assertRegex(self.live_server_ws_url, r"^ws://127\.0\.0\.1:\d+$")

    def test_a_django_view_answers_over_real_http(self) -> None:
        User.objects.create_user(
            "visible", password="pw-visible-1"
        )  # committed: the server sees it
        response = httpx.get(f"{self.live_server_url}/hello/?name=live", timeout=DEADLINE)
        self.assertEqual(response.status_code, 200, self.live_server_output())
        self.assertIn("live", response.text)

    def test_a_json_websocket_consumer_echoes_over_a_real_socket(self) -> None:
        with connect(f"{self.live_server_ws_url}/json/", open_timeout=DEADLINE) as socket:
            socket.send(json.dumps({"hello": "live"}))
            answer = json.loads(socket.recv(timeout=DEADLINE))
        self.assertEqual(answer, {"echo": {"hello": "live"}, "path": "/json/"})

    def test_the_server_uses_the_test_database(self) -> None:
        User.objects.create_user("visible", password="pw-visible-1")  # committed at once
        with connect(f"{self.live_server_ws_url}/users/visible/", open_timeout=DEADLINE) as ws:
            self.assertEqual(ws.recv(timeout=DEADLINE), "True")
        with connect(f"{self.live_server_ws_url}/users/absent/", open_timeout=DEADLINE) as ws:
            self.assertEqual(ws.recv(timeout=DEADLINE), "False")

    def test_an_async_consumer_runs_on_the_servers_workers(self) -> None:
        with connect(f"{self.live_server_ws_url}/shout/", open_timeout=DEADLINE) as socket:
            for word in ("one", "two"):
                socket.send(json.dumps({"say": word}))
                self.assertEqual(json.loads(socket.recv(timeout=DEADLINE)), {"shout": word.upper()})
