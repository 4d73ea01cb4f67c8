"""``manage.py runserver`` as a subprocess: static files, Ctrl-C, and the autoreloader."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from .conftest import (
    ROOT,
    RUNSERVER_BANNER,
    START_TIMEOUT,
    Site,
    free_port,
    start_runserver,
)

#: A module runserver imports at start (through the routing): touching it must reload.
WATCHED_MODULE = ROOT / "tests" / "project" / "e2e_routing.py"
#: How long the autoreloader may take to notice a change and come back (it polls each second).
RELOAD_TIMEOUT = 30.0


def get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=10)


def test_a_static_file_is_served_under_debug(runserver_site: Site) -> None:
    expected = (ROOT / "tests/project/static/e2e/hello.txt").read_bytes()
    response = get(runserver_site.http + "/static/e2e/hello.txt")
    assert response.status_code == 200
    assert response.content == expected
    assert response.headers["content-type"].startswith("text/plain")
    assert get(runserver_site.http + "/static/e2e/missing.txt").status_code == 404


def test_runserver_prints_the_port_it_really_listens_on(runserver_site: Site) -> None:
    assert runserver_site.port != 0
    banner = runserver_site.processes[0].output()
    assert "Channel layer default (channels.layers.inmemory.InMemoryChannelLayer)" in banner
    assert get(runserver_site.http + "/page/").status_code == 200


def test_sigint_stops_runserver_with_exit_status_0(tmp_path: Path) -> None:
    server = start_runserver(tmp_path, "--noreload")
    try:
        port = int(server.wait_for(RUNSERVER_BANNER, START_TIMEOUT).group(1))
        assert get(f"http://127.0.0.1:{port}/page/").status_code == 200
        assert server.stop(signal.SIGINT) == 0, server.output()
        assert "Traceback" not in server.output()
    finally:
        server.cleanup()


async def test_sigint_stops_runserver_promptly_with_a_socket_open_and_a_view_running(
    tmp_path: Path,
) -> None:
    server = start_runserver(tmp_path, "--noreload")
    try:
        port = int(server.wait_for(RUNSERVER_BANNER, START_TIMEOUT).group(1))
        async with (
            connect(f"ws://127.0.0.1:{port}/echo/", open_timeout=10) as socket,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client,
        ):
            await socket.send("hello")
            assert await asyncio.wait_for(socket.recv(), 10) == "hello"
            # A view that goes on for up to 15 s unless released.
            request = client.stream("GET", "/held-stream/", params={"key": uuid.uuid4().hex})
            async with request as response:
                assert await anext(response.aiter_raw()) == b"first\n"
                started = time.monotonic()
                server.send_signal(signal.SIGINT)
                code = await asyncio.to_thread(server.wait)
                elapsed = time.monotonic() - started
        assert code == 0, server.output()
        assert elapsed < 5, f"runserver took {elapsed:.1f} s to exit after Ctrl-C"
        assert "Traceback" not in server.output()
    finally:
        server.cleanup()


def test_sigint_stops_runserver_under_the_autoreloader_with_exit_status_0(
    tmp_path: Path,
) -> None:
    # Ctrl-C in a terminal signals the whole foreground process group: the reloader and
    # the child serving requests.
    server = start_runserver(tmp_path, own_group=True, settings={"DEBUG": True})
    try:
        port = int(server.wait_for(RUNSERVER_BANNER, START_TIMEOUT).group(1))
        assert get(f"http://127.0.0.1:{port}/page/").status_code == 200
        server.send_signal(signal.SIGINT, group=True)
        assert server.wait() == 0, server.output()
        assert "Traceback" not in server.output()
    finally:
        server.cleanup()


def test_touching_a_project_module_restarts_runserver_and_it_serves_again(
    tmp_path: Path,
) -> None:
    # A fixed port, as a developer has: the restarted server must bind it again.
    port = free_port()
    # DEBUG shows the reloader's "... changed, reloading." lines in the output.
    server = start_runserver(
        tmp_path, address=f"127.0.0.1:{port}", own_group=True, settings={"DEBUG": True}
    )
    original = WATCHED_MODULE.stat()
    try:
        server.wait_for(RUNSERVER_BANNER, START_TIMEOUT)
        assert get(f"http://127.0.0.1:{port}/page/?name=first").status_code == 200
        seen = server.line_count()
        # The reloader compares modification times with its first look at the files, which
        # it takes a moment after the banner; so move the time forward until it reacts.
        banner = None
        deadline = time.monotonic() + RELOAD_TIMEOUT
        bump = 0
        while banner is None:
            bump += 2
            os.utime(WATCHED_MODULE, (original.st_atime, original.st_mtime + bump))
            try:
                banner = server.wait_for(RUNSERVER_BANNER, 1.5, start=seen)
            except AssertionError:
                if time.monotonic() > deadline or server.process.poll() is not None:
                    raise
        assert int(banner.group(1)) == port
        response = get(f"http://127.0.0.1:{port}/page/?name=again")
        assert response.status_code == 200
        assert "Hello, again!" in response.text
        server.send_signal(signal.SIGINT, group=True)
        assert server.wait() == 0, server.output()
    finally:
        server.cleanup()
        os.utime(WATCHED_MODULE, (original.st_atime, original.st_mtime))
