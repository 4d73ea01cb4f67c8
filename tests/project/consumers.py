"""Consumers of the test project. Each reports to the channel named in ``message["notify"]``
so a test (playing interface server) can see what ran."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from channels import Channel
from channels.exceptions import ConsumeLater, DenyConnection
from channels.message import Message


@Channel.consumer("a_task_channel")
def some_task(message: Message) -> None:
    """The seeds' background task, routed with the earliest decorator API."""
    Channel(message["notify"]).send(
        {"value": message["value"], "channel": message.channel.name, "pid": os.getpid()}
    )


def notify(message: Message, **kwargs: Any) -> None:
    """Reports the route's keyword arguments."""
    Channel(message["notify"]).send({"kwargs": kwargs, "path": message.get("path")})


def retry_later(message: Message) -> None:
    """Asks for a retry until the message has been put back ``times`` times."""
    if message.get("__retries__", 0) < message["times"]:
        raise ConsumeLater()
    Channel(message["notify"]).send({"retries": message.get("__retries__", 0)})


async def async_sleep(message: Message) -> None:
    """Awaits a slow 'upstream' without holding anything up."""
    await asyncio.sleep(message.get("seconds", 0.05))
    await Channel(message["notify"]).asend({"n": message.get("n")})


def slow(message: Message) -> None:
    """Says it started (at once), works for a while, then says it is done (held until the
    consumer finishes)."""
    Channel(message["notify"]).send({"started": True}, immediately=True)
    time.sleep(message["seconds"])
    Channel(message["notify"]).send({"done": True})


def consumer_error(message: Message) -> None:
    """An http.request consumer that fails: the client must get a 500 at once."""
    raise RuntimeError("this consumer always fails")


def ws_deny(message: Message) -> None:
    """Refuses every socket."""
    raise DenyConnection()


def ws_fail(message: Message) -> None:
    """Fails on every frame: the socket must be closed with 1011."""
    raise RuntimeError("this websocket consumer always fails")


def bench_sync(message: Message) -> None:
    """Trivial sync consumer for benchmarks/worker.py."""
    Channel(message["notify"]).send({"n": message.get("n")})


async def bench_async(message: Message) -> None:
    """Trivial async consumer for benchmarks/worker.py."""
    await Channel(message["notify"]).asend({"n": message.get("n")})
