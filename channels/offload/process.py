"""The async consumer behind :func:`channels.offload.run_command`: run a program, send its
output.

The program is started with ``asyncio.create_subprocess_exec`` (an argument list, no shell)
in a session of its own, so a timeout kills it and everything it started. stdout and stderr
are read at the same time (a program filling one pipe while we wait on the other would
block forever). stdout is held back up to ``buffer_size`` bytes so the exit code can still
choose the status; past that it streams under a 200.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from typing import Any

from .command import command_payload
from .replies import asend_reply, plain_reply, whole_replies

logger = logging.getLogger("channels.offload")

#: Bytes of stderr kept for the error body; the rest is read and dropped.
STDERR_LIMIT = 64 * 1024
#: How long to wait for a killed program to be reaped.
REAP_TIMEOUT = 5.0
READ_SIZE = 64 * 1024


class _Timeout(Exception):
    pass


def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    try:
        # The program leads its own session (start_new_session): its group is its pid.
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            process.kill()


async def _read_stderr(stream: asyncio.StreamReader) -> bytes:
    kept = bytearray()
    while True:
        chunk = await stream.read(READ_SIZE)
        if not chunk:
            return bytes(kept)
        if len(kept) < STDERR_LIMIT:
            kept += chunk[: STDERR_LIMIT - len(kept)]


async def _write_stdin(process: asyncio.subprocess.Process, data: bytes) -> None:
    assert process.stdin is not None
    # The program may exit without reading all of it: that is its business.
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        process.stdin.write(data)
        await process.stdin.drain()
    process.stdin.close()


class _CommandRun:
    """One run of a program for one offloaded request."""

    def __init__(self, message: Any, payload: dict[str, Any]) -> None:
        self.message = message
        self.args: list[str] = payload["args"]
        self.timeout: float = payload["timeout"]
        self.payload = payload
        self.streaming = False
        self.held = bytearray()
        self.given_up = False
        self.headers = [[b"content-type", payload["content_type"].encode("latin-1")]]

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self.deadline = loop.time() + self.timeout
        payload = self.payload
        try:
            process = await asyncio.create_subprocess_exec(
                *self.args,
                stdin=asyncio.subprocess.PIPE if payload["stdin"] else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=payload["cwd"],
                env=payload["env"],
                start_new_session=True,
            )
        except OSError as exc:
            logger.error("could not start %r: %s", self.args, exc)
            await asend_reply(
                self.message,
                plain_reply(
                    500,
                    f"Internal Server Error: could not start the command {self.args[0]!r} "
                    f"({exc.strerror or exc}).",
                ),
            )
            return
        helpers: list[asyncio.Future[Any]] = []
        assert process.stdout is not None and process.stderr is not None
        stderr_task = asyncio.ensure_future(_read_stderr(process.stderr))
        helpers.append(stderr_task)
        if payload["stdin"]:
            helpers.append(asyncio.ensure_future(_write_stdin(process, payload["stdin"])))
        try:
            await self._pump_stdout(process.stdout)
            code = await self._within_deadline(process.wait())
            stderr = await self._within_deadline(stderr_task)
        except _Timeout:
            _kill(process)
            await self._timed_out()
            return
        finally:
            _kill(process)
            for task in helpers:
                task.cancel()
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(process.wait(), REAP_TIMEOUT)
            await asyncio.gather(*helpers, return_exceptions=True)
        await self._finish(code, stderr)

    async def _within_deadline(self, awaitable: Any) -> Any:
        remaining = self.deadline - asyncio.get_running_loop().time()
        try:
            return await asyncio.wait_for(awaitable, max(remaining, 0))
        except asyncio.TimeoutError:
            raise _Timeout from None

    async def _pump_stdout(self, stdout: asyncio.StreamReader) -> None:
        buffer_size = self.payload["buffer_size"]
        while not self.given_up:
            chunk = await self._within_deadline(stdout.read(READ_SIZE))
            if not chunk:
                return
            if self.streaming:
                await self._send({"content": chunk, "more_content": True})
                continue
            self.held += chunk
            if len(self.held) > buffer_size or buffer_size == 0:
                self.streaming = True
                await self._send(
                    {
                        "status": 200,
                        "headers": self.headers,
                        "content": bytes(self.held),
                        "more_content": True,
                    }
                )
                self.held.clear()

    async def _send(self, reply: dict[str, Any]) -> None:
        if not self.given_up and not await asend_reply(self.message, reply):
            self.given_up = True

    async def _timed_out(self) -> None:
        logger.warning("command %r ran past its %s s timeout; killed it", self.args, self.timeout)
        if self.streaming:
            await self._send({"content": b"", "more_content": False})
            return
        await self._send(
            plain_reply(
                504,
                f"Gateway Timeout: the command {self.args[0]!r} did not finish within "
                f"{self.timeout:g} seconds and was stopped.",
            )
        )

    async def _finish(self, code: int, stderr: bytes) -> None:
        if self.streaming:
            if code != 0:
                logger.warning(
                    "command %r exited with status %s after its output was streamed: %s",
                    self.args,
                    code,
                    stderr.decode("utf-8", "replace").strip(),
                )
            await self._send({"content": b"", "more_content": False})
            return
        if code == 0:
            status, headers, body = 200, self.headers, bytes(self.held)
        else:
            status = self.payload["statuses"].get(str(code), 500)
            headers = [[b"content-type", b"text/plain; charset=utf-8"]]
            body = (
                stderr
                or (f"killed by signal {-code}" if code < 0 else f"exit status {code}").encode()
            )
            if status >= 500:
                logger.warning("command %r exited with status %s", self.args, code)
        headers = [*headers, [b"content-length", str(len(body)).encode("ascii")]]
        for reply in whole_replies(status, headers, body):
            await self._send(reply)


async def command_consumer(message: Any, **kwargs: Any) -> None:
    """Consumer of ``channels.offload.command``: see the module docstring."""
    content = message.content
    try:
        statuses = {int(code): status for code, status in (content.get("statuses") or {}).items()}
        payload = command_payload(
            content["args"],
            content.get("timeout", 30.0),
            content.get("stdin"),
            content.get("cwd"),
            content.get("env"),
            statuses,
            content.get("content_type", "text/plain; charset=utf-8"),
            content.get("buffer_size", 64 * 1024),
        )
    except (KeyError, TypeError, ValueError) as exc:
        logger.error("bad channels.offload.command message %r: %s", sorted(content), exc)
        await asend_reply(message, plain_reply(500, "Internal Server Error: bad command request."))
        return
    await _CommandRun(message, payload).run()


__all__ = ["command_consumer"]
