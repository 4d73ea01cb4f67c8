"""The JavaScript client in headless Chromium, against ``runserver``: the page of
docs/javascript.rst (``tests/js/bridgeapp``) loads ``channels/js/websocketbridge.js`` from the
static files, talks to a ``WebsocketDemultiplexer`` on two streams, gets data binding changes,
and rides out a server restart."""

from __future__ import annotations

import socket
from typing import Any

import httpx

from tests.e2e.conftest import free_port
from tests.examples.browser import by_id, wait, wait_connected
from tests.examples.conftest import Pages

from .conftest import BridgeSite

#: How long the bridge may take to come back after the server does: its backoff is capped at
#: 10 s by default, and the first retries fail while runserver starts.
RECONNECT_TIMEOUT = 30.0


def items(driver: Any, list_id: str) -> list[str]:
    """The texts of a list's items, in order."""
    return list(
        driver.execute_script(
            f"return [...document.querySelectorAll('#{list_id} li')].map(li => li.textContent)"
        )
    )


def wait_for_item(driver: Any, list_id: str, text: str, timeout: float = 10.0) -> None:
    wait(driver, lambda d: text in items(d, list_id), f"{text!r} in #{list_id}", timeout)


def open_connected(pages: Pages, name: str, url: str) -> Any:
    """A browser showing ``url``, once the page's bridge is connected."""
    driver = pages.open(name, url)
    wait_connected(driver, "connected")
    return driver


def submit(driver: Any, form: str, text: str) -> None:
    """Type ``text`` in a form of the page and send it."""
    driver.find_element("css selector", f"#{form}-form input").send_keys(text)
    driver.find_element("css selector", f"#{form}-form button").click()


def echo(driver: Any, text: str) -> None:
    """Send ``text`` on the page's ``echo`` stream and wait for it to come back."""
    submit(driver, "echo", text)
    wait_for_item(driver, "echoes", text)


def save_note(site: BridgeSite, text: str) -> None:
    """Save a note in Django (a POST to the site), which its binding sends to every page."""
    response = httpx.post(f"{site.url}/notes/", data={"text": text}, timeout=10)
    assert response.status_code == 200, response.text


def test_the_static_file_is_served_as_javascript(bridge_site: BridgeSite) -> None:
    for name in ("websocketbridge.js", "websocketbridge.mjs"):
        response = httpx.get(f"{bridge_site.url}/static/channels/js/{name}", timeout=10)
        assert response.status_code == 200, name
        # Browsers refuse to run a module served with a type that is not JavaScript.
        assert "javascript" in response.headers["content-type"], response.headers


def test_a_page_sends_and_receives_on_two_streams_through_demultiplex(
    bridge_site: BridgeSite, pages: Pages
) -> None:
    with pages:
        page = open_connected(pages, "page", bridge_site.url + "/")
        echo(page, "hello")
        submit(page, "note", "a note from the page")
        # Created through the binding's inbound side, sent back to the group by its outbound.
        wait_for_item(page, "notes", "a note from the page")


def test_a_note_saved_in_django_reaches_every_open_page(
    bridge_site: BridgeSite, pages: Pages
) -> None:
    with pages:
        first = open_connected(pages, "first", bridge_site.url + "/")
        second = open_connected(pages, "second", bridge_site.url + "/")
        save_note(bridge_site, "saved by Django")
        wait_for_item(first, "notes", "saved by Django")
        wait_for_item(second, "notes", "saved by Django")


def test_the_es_module_exports_the_bridge(bridge_site: BridgeSite, pages: Pages) -> None:
    with pages:
        page = open_connected(pages, "module", bridge_site.url + "/module/")
        wait_for_item(page, "echoes", "from a module")


def test_a_frame_the_server_refuses_fires_streamerror(
    bridge_site: BridgeSite, pages: Pages
) -> None:
    with pages:
        page = open_connected(pages, "page", bridge_site.url + "/")
        error = page.execute_async_script(
            """
            const done = arguments[arguments.length - 1];
            bridge.addEventListener("streamerror", (event) => done([event.stream, event.error]));
            bridge.stream("nope").send({});
            """
        )
        assert error[0] == "nope"
        assert "unknown stream 'nope'" in error[1]
        # The socket stays open and usable.
        echo(page, "still here")


def test_after_a_server_restart_the_bridge_reconnects_and_delivers_both_ways(
    bridge_site: BridgeSite, pages: Pages
) -> None:
    with pages:
        page = open_connected(pages, "page", bridge_site.url + "/")
        echo(page, "before the restart")

        bridge_site.stop()
        wait(
            page,
            lambda d: d.execute_script("return bridge.socket.readyState") != 1,
            "the page to see its socket close",
        )
        assert by_id(page, "status").text.startswith(("disconnected", "reconnecting")), by_id(
            page, "status"
        ).text
        # Sent while disconnected: the bridge keeps it until it is connected again.
        submit(page, "echo", "sent while the server was down")
        assert page.execute_script("return bridge.socket.queued") == 1

        bridge_site.start()
        wait(
            page,
            lambda d: by_id(d, "status").text == "connected again",
            "the page to reconnect",
            RECONNECT_TIMEOUT,
        )
        wait_for_item(page, "echoes", "sent while the server was down")
        assert page.execute_script("return bridge.socket.queued") == 0
        # The new connection joined the binding's group again: a change reaches it.
        save_note(bridge_site, "saved after the restart")
        wait_for_item(page, "notes", "saved after the restart")


def test_a_page_written_for_the_1x_client_runs_unchanged(
    bridge_site: BridgeSite, pages: Pages
) -> None:
    with pages:
        page = open_connected(pages, "legacy", bridge_site.url + "/legacy/")
        # listen(): messages that are not on a stream, with stream null.
        wait_for_item(page, "plain", "plain message / null")
        # demultiplex(): the stream's payload and its name.
        wait_for_item(page, "echoes", "stream message / echo")


#: Gives up on a socket after its retries and reports what it saw; arguments[0] is the URL.
GIVE_UP = """
const [url, options, done] = arguments;
const socket = new channels.ReconnectingWebSocket(url, undefined, options);
const closes = [];
socket.addEventListener("close", (event) => {
  closes.push(event.reconnecting);
  if (event.reconnecting) return;
  let error = null;
  try { socket.send("too late"); } catch (caught) { error = caught.message; }
  done({closes, readyState: socket.readyState, error});
});
"""


def test_a_socket_that_cannot_connect_gives_up_after_max_retries(
    bridge_site: BridgeSite, pages: Pages
) -> None:
    nothing_there = f"ws://127.0.0.1:{free_port()}/"
    options = {"maxRetries": 2, "minReconnectionDelay": 50, "maxReconnectionDelay": 100}
    with pages:
        page = open_connected(pages, "page", bridge_site.url + "/")
        seen = page.execute_async_script(GIVE_UP, nothing_there, options)
    assert seen["closes"] == [True, True, False]
    assert seen["readyState"] == 3
    assert "it is closed" in seen["error"] and "call reconnect()" in seen["error"]


def test_an_attempt_that_hangs_is_abandoned_after_connection_timeout(
    bridge_site: BridgeSite, pages: Pages
) -> None:
    # Accepts TCP connections (the kernel's backlog) but never answers the handshake.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"ws://127.0.0.1:{silent.getsockname()[1]}/"
        options = {"connectionTimeout": 300, "maxRetries": 1, "minReconnectionDelay": 50}
        with pages:
            page = open_connected(pages, "page", bridge_site.url + "/")
            seen = page.execute_async_script(GIVE_UP, url, options)
    assert seen["closes"] == [True, False]


def test_send_beyond_max_queued_throws_and_keeps_what_was_queued(
    bridge_site: BridgeSite, pages: Pages
) -> None:
    nothing_there = f"ws://127.0.0.1:{free_port()}/"
    with pages:
        page = open_connected(pages, "page", bridge_site.url + "/")
        seen = page.execute_script(
            """
            const socket = new channels.ReconnectingWebSocket(
              arguments[0],
              undefined,
              {maxQueued: 2, minReconnectionDelay: 60000, maxReconnectionDelay: 60000},
            );
            socket.send("first");
            socket.send("second");
            let error = null;
            try { socket.send("third"); } catch (caught) { error = [caught.name, caught.message]; }
            const queued = socket.queued;
            socket.close();
            return {error, queued, after: socket.queued};
            """,
            nothing_there,
        )
    assert seen["error"][0] == "QueueFullError"
    assert "2 messages already wait" in seen["error"][1]
    assert seen["queued"] == 2
    assert seen["after"] == 0  # close() drops the queue


def test_listeners_added_before_connect_see_the_first_attempt_and_open(
    bridge_site: BridgeSite, pages: Pages
) -> None:
    with pages:
        page = open_connected(pages, "page", bridge_site.url + "/")
        seen = page.execute_async_script(
            """
            const done = arguments[arguments.length - 1];
            const events = [];
            const other = new channels.WebSocketBridge();
            other.addEventListener("connecting", (e) => events.push(["connecting", e.attempt]));
            other.addEventListener("open", (event) => {
              events.push(["open", event.reconnected]);
              other.socket.close();
              done(events);
            });
            other.connect("/bridge/");
            """
        )
    assert seen == [["connecting", 0], ["open", False]]
