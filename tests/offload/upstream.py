"""A real HTTP server on 127.0.0.1 (port 0) for offload tests and the benchmark.

It runs an asyncio server in a thread of its own, so hundreds of slow requests wait
concurrently at almost no cost, and speaks just enough HTTP/1.1 (keep-alive, Content-Length
bodies) for httpx. Paths:

``/slow?ms=N``           answers ``slow ok`` after N ms (default 200)
``/echo``                answers JSON: method, path, query, headers, body
``/stream``              a chunked body: ``first;``, then, once :meth:`release` is called,
                         ``second;`` and ``last``
``/hang``                never answers (until the server stops)
``/close``               closes the connection without answering
``/hop``                 answers with hop-by-hop headers mixed with ordinary ones
``/status?code=N``       answers status N with an empty body
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

START_DEADLINE = 10.0


class Upstream:
    """``with Upstream() as upstream: upstream.url("/slow")``."""

    def __init__(self) -> None:
        self.port = 0
        self.requests = 0
        #: ``/slow`` requests being answered right now, and the most there ever were at once.
        self.in_flight = 0
        self.peak_in_flight = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test-upstream", daemon=True)
        self._release: asyncio.Event | None = None
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> Upstream:
        self._thread.start()
        if not self._ready.wait(START_DEADLINE):
            raise RuntimeError(f"the test upstream did not start within {START_DEADLINE} s")
        return self

    def __exit__(self, *exc: Any) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(START_DEADLINE)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(START_DEADLINE)
        self._loop.close()

    def release(self) -> None:
        """Let ``/stream`` responses send the rest of their body."""
        self._loop.call_soon_threadsafe(self._get_release().set)

    def _get_release(self) -> asyncio.Event:
        if self._release is None:
            self._release = asyncio.Event()
        return self._release

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        self._get_release()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=2048)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        assert self._server is not None
        self._server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for writer in list(self._writers):
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = [line.split(":", 1) for line in lines[1:] if line]
                headers = [(k.strip().lower(), v.strip()) for k, v in headers]
                length = int(dict(headers).get("content-length", "0"))
                body = await reader.readexactly(length) if length else b""
                self.requests += 1
                if not await self._answer(writer, method, target, headers, body):
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        except asyncio.CancelledError:
            # The server is stopping. Ending quietly: asyncio logs a cancelled handler.
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _answer(
        self,
        writer: asyncio.StreamWriter,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> bool:
        parts = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        path = parts.path
        if path == "/slow":
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                await asyncio.sleep(int(query.get("ms", "200")) / 1000)
            finally:
                self.in_flight -= 1
            return await _respond(writer, 200, b"slow ok")
        if path == "/echo":
            data = {
                "method": method,
                "path": path,
                "query": parts.query,
                "headers": headers,
                "body": body.decode("utf-8", "replace"),
            }
            return await _respond(
                writer, 200, json.dumps(data).encode(), [("Content-Type", "application/json")]
            )
        if path == "/stream":
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            writer.write(_chunk(b"first;"))
            await writer.drain()
            await self._get_release().wait()
            writer.write(_chunk(b"second;") + _chunk(b"last") + b"0\r\n\r\n")
            await writer.drain()
            return True
        if path == "/hang":
            await asyncio.Event().wait()
        if path == "/close":
            return False
        if path == "/hop":
            return await _respond(
                writer,
                200,
                b"hop",
                [
                    ("Connection", "keep-alive, X-Secret-Hop"),
                    ("Keep-Alive", "timeout=5"),
                    ("X-Secret-Hop", "1"),
                    ("Proxy-Authenticate", "Basic"),
                    ("Upgrade", "h2c"),
                    ("X-Kept", "yes"),
                    ("Set-Cookie", "a=1"),
                ],
            )
        if path == "/status":
            return await _respond(writer, int(query["code"]), b"")
        return await _respond(writer, 404, b"no such test path")


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


async def _respond(
    writer: asyncio.StreamWriter,
    status: int,
    body: bytes,
    headers: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> bool:
    lines = [f"HTTP/1.1 {status} X"]
    names = {name.lower() for name, _ in headers}
    lines += [f"{name}: {value}" for name, value in headers]
    if "connection" not in names:
        lines.append("Connection: keep-alive")
    if status not in (204, 304):
        lines.append(f"Content-Length: {len(body)}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    await writer.drain()
    return True
