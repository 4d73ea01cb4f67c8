"""The chat example without a browser: settings, checks, and its README's two ways of running
it, each through one HTTP request and one WebSocket round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus

from .clients import Visitor, receive_json
from .processes import Site, example_env, redis_deployment, runserver


def chat_round_trip(site: Site) -> None:
    with Visitor(site) as alice:
        answer = alice.post_form("/", {"name": "alice"})
        assert answer.status_code == 302, answer.text
        page = alice.http.get("/room/lobby/")
        assert page.status_code == 200 and 'id="room">lobby<' in page.text, page.text
        with alice.websocket("/chat/lobby/") as socket:
            assert receive_json(socket) == {"type": "joined", "user": "alice"}
            socket.send("hello, lobby")
            assert receive_json(socket) == {
                "type": "message",
                "user": "alice",
                "text": "hello, lobby",
            }


def test_chat_runs_under_runserver_as_its_readme_says(tmp_path: Path) -> None:
    with runserver("chat", example_env(tmp_path)) as site:
        chat_round_trip(site)


@pytest.mark.redis
def test_chat_runs_under_daphne_and_two_runworkers_as_its_readme_says(
    tmp_path: Path, example_redis: dict[str, str]
) -> None:
    with redis_deployment("chat", example_env(tmp_path, **example_redis)) as site:
        chat_round_trip(site)


def test_chat_refuses_sockets_from_other_sites_and_from_visitors_without_a_name(
    tmp_path: Path,
) -> None:
    with runserver("chat", example_env(tmp_path)) as site, Visitor(site) as visitor:
        # No name yet: the connect consumer refuses the handshake.
        with pytest.raises(InvalidStatus) as refused:
            visitor.websocket("/chat/lobby/")
        assert refused.value.response.status_code == 403
        visitor.post_form("/", {"name": "mallory"})
        for origin in ("http://evil.example", None):
            # Another site's page (cross-site WebSocket hijacking), and a script that sends
            # no Origin at all (refused by allowed_hosts_only on the connect consumer).
            with pytest.raises(InvalidStatus) as refused:
                visitor.websocket("/chat/lobby/", origin=origin)
            assert refused.value.response.status_code == 403, origin
