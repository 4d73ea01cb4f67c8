"""Each request is logged once: by daphne's own access log under daphne, by the bridge's
``channels.access`` log under ``runserver`` (whose daphne keeps none).

The servers are stopped before their output is read, so every line either could write is
in it: no wait for a line that should not come."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from .clients import TIMEOUT, Visitor, receive_json
from .processes import Site, example_env, redis_deployment, runserver


def lines_with(output: str, text: str) -> list[str]:
    return [line for line in output.splitlines() if text in line]


def visit(site: Site, probe: str) -> None:
    """One page with ``probe`` in its query string, then a name and a socket in the lobby."""
    assert httpx.get(f"{site.url}?probe={probe}", timeout=TIMEOUT).status_code == 200
    with Visitor(site) as alice:
        alice.post_form("/", {"name": "alice"})
        with alice.websocket("/chat/lobby/") as socket:
            assert receive_json(socket)["type"] == "joined"


@pytest.mark.redis
def test_daphne_logs_each_request_and_socket_once(
    tmp_path: Path, example_redis: dict[str, str]
) -> None:
    probe = uuid.uuid4().hex
    with redis_deployment("chat", example_env(tmp_path, **example_redis)) as site:
        daphne = site.processes[0]
        visit(site, probe)
    output = daphne.output(last=10_000)
    assert len(lines_with(output, probe)) == 1, output
    assert len(lines_with(output, "WSCONNECT /chat/lobby/")) == 1, output
    assert lines_with(output, "WebSocket CONNECT") == [], output


def test_runserver_logs_each_request_and_socket_once(tmp_path: Path) -> None:
    probe = uuid.uuid4().hex
    with runserver("chat", example_env(tmp_path)) as site:
        server = site.processes[0]
        visit(site, probe)
    output = server.output(last=10_000)
    assert len(lines_with(output, probe)) == 1, output
    assert len(lines_with(output, "WebSocket CONNECT /chat/lobby/")) == 1, output
