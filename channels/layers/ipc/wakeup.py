"""Waking blocked receives across processes without polling.

A blocked receive binds a Unix datagram socket in Linux's *abstract* namespace (no file:
it vanishes with its process, so a crash leaves nothing behind), registers its address in
the store for each queue it waits on, and sleeps in ``recv``/``poll`` (threads) or on
``loop.add_reader`` (asyncio). A sender that stores a message takes the queue's registered
addresses in the same transaction and, after committing, sends each one a byte. Sending to
the address of a process that died fails at once (``ECONNREFUSED``) and costs nothing more:
its registration was removed in the same step, and another receive is woken instead.

One receive is woken per message stored (as a Redis ``BLPOP`` hands a message to one
client), not every receive of the queue. A woken receive that leaves, with or without a
message, passes the wake-up on to another waiter of any of its queues that still holds
messages, so a wake-up spent on the wrong message is never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import select
import socket
from collections.abc import Iterable

_DATAGRAM = b"!"


class Waker:
    """Sends wake-ups; one per layer object, usable from any thread."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.setblocking(False)

    def wake(self, wakes: Iterable[tuple[str, bytes]]) -> list[str]:
        """Send each ``(queue, address)`` a wake-up; return the queues whose receive has
        died (its socket is gone), so that another one can be woken instead."""
        dead = []
        for queue, address in wakes:
            try:
                self._socket.sendto(_DATAGRAM, address)
            except (ConnectionRefusedError, FileNotFoundError):
                dead.append(queue)
            except BlockingIOError:
                pass  # it already has a wake-up waiting
        return dead

    def close(self) -> None:
        self._socket.close()


class WakeSocket:
    """The socket one blocked receive sleeps on."""

    def __init__(self) -> None:
        self.address = b"\0channels-ipc-" + secrets.token_hex(10).encode("ascii")
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind(self.address)
        self._socket.setblocking(False)

    def drain(self) -> None:
        """Drop wake-ups left from an earlier wait (a reused socket)."""
        with contextlib.suppress(BlockingIOError):
            while True:
                self._socket.recv(16)

    def wait(self, timeout: float) -> None:
        """Sleep until woken or ``timeout`` seconds pass."""
        poller = select.poll()
        poller.register(self._socket, select.POLLIN)
        if poller.poll(max(0, int(timeout * 1000) + 1)):
            self.drain()

    async def await_wake(self, timeout: float) -> None:
        """:meth:`wait` on the running event loop."""
        loop = asyncio.get_running_loop()
        woken: asyncio.Future[None] = loop.create_future()

        def readable() -> None:
            if not woken.done():
                woken.set_result(None)

        loop.add_reader(self._socket.fileno(), readable)
        try:
            await asyncio.wait({woken}, timeout=timeout)
        finally:
            loop.remove_reader(self._socket.fileno())
        self.drain()

    def close(self) -> None:
        self._socket.close()

    def __del__(self) -> None:
        # Per-thread sockets are closed by the layer; one whose thread ended goes here.
        self._socket.close()

    def __enter__(self) -> WakeSocket:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
