"""The WebSocket denial response extension in this package's daphne-based server (the one
``runserver`` and live-server tests run): a real server process serving
``tests.interface.denial_app`` and the ``websockets`` library as the client."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.http11 import Response

from tests.daphne_server import DaphneServer

APPLICATION = "tests.interface.denial_app:application"
#: Longest the handshake may take.
CLIENT_DEADLINE = 10.0


def server_of(kind: str) -> DaphneServer:
    """Our server (``"channels"``) or the ``daphne`` CLI, serving the test application; not
    started yet."""
    return DaphneServer(dict(os.environ), APPLICATION, server=kind)


@pytest.fixture(scope="module")
def ours() -> Iterator[DaphneServer]:
    """One server for the module: each test uses paths of its own."""
    server = server_of("channels").start()
    try:
        yield server
    finally:
        server.stop()
        print(f"---- server output ----\n{server.output()}")


async def refused(url: str) -> Response:
    """The HTTP response that refused the handshake to ``url``."""
    with pytest.raises(InvalidStatus) as refusal:
        async with connect(url, open_timeout=CLIENT_DEADLINE):
            pass
    return refusal.value.response


async def first_frame(url: str) -> str | bytes:
    async with connect(url, open_timeout=CLIENT_DEADLINE) as socket:
        return await socket.recv()


async def test_our_server_lists_the_extension_in_websocket_scopes_and_daphne_does_not(
    ours: DaphneServer,
) -> None:
    assert json.loads(await first_frame(f"{ours.ws_url}/extensions/")) == {
        "websocket.http.response": {}
    }
    with server_of("daphne") as daphne:
        assert json.loads(await first_frame(f"{daphne.ws_url}/extensions/")) is None


async def test_a_denial_reaches_the_client_with_its_status_headers_and_whole_body(
    ours: DaphneServer,
) -> None:
    response = await refused(f"{ours.ws_url}/deny/")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="chat"'
    assert response.headers["Content-Type"] == "text/plain"
    # The body came in two events; the events after the last one are dropped.
    assert bytes(response.body or b"") == b"sign in first"
    assert response.headers["Content-Length"] == "13"
    assert "Exception inside application" not in ours.output()


async def test_a_close_before_accepting_still_answers_403(ours: DaphneServer) -> None:
    assert (await refused(f"{ours.ws_url}/close/")).status_code == 403


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/bad-status/", "status must be an int from 100 to 599, got '401'"),
        ("/bad-header/", "headers must be (bytes, bytes) pairs, got ('x-name', 'value')"),
        ("/body-first/", "websocket.http.response.body before websocket.http.response.start"),
        ("/accept-after-start/", "websocket.accept after websocket.http.response.start"),
    ],
)
async def test_a_malformed_denial_answers_500_and_logs_the_problem_once(
    ours: DaphneServer, path: str, problem: str
) -> None:
    response = await refused(f"{ours.ws_url}{path}")
    assert response.status_code == 500
    assert bytes(response.body or b"") == b"Internal Server Error"
    line = ours.wait_for_output(f"malformed WebSocket denial response for {path}:")
    assert problem in line
    assert ours.output().count(f"response for {path}:") == 1


async def test_a_denial_after_the_accept_is_ignored_and_the_socket_stays_open(
    ours: DaphneServer,
) -> None:
    assert await first_frame(f"{ours.ws_url}/after-accept/") == "still open"
    ours.wait_for_output("websocket.http.response.start for /after-accept/ arrived after")


async def test_an_application_that_fails_halfway_through_a_denial_gets_a_500(
    ours: DaphneServer,
) -> None:
    assert (await refused(f"{ours.ws_url}/crash/")).status_code == 500
    ours.wait_for_output("the application failed halfway through its denial")
