"""The Channels 4 worker behind ``runworker channel_name ...``, in-process."""

from __future__ import annotations

import asyncio

import pytest

from channels.channel_worker import ChannelWorker
from channels.consumer import AsyncConsumer
from channels.exceptions import StopConsumer
from channels.layers import AsyncChannelLayer, InMemoryChannelLayer
from channels.routing import ChannelNameRouter


class Doubler(AsyncConsumer):
    """Answers ``double`` on ``reply_to``; ``crash`` raises, ``stop`` ends the instance."""

    async def double(self, message):
        await self.channel_layer.send(
            message["reply_to"], {"type": "doubled", "n": 2 * message["n"], "me": id(self)}
        )

    async def crash(self, message):
        raise RuntimeError("crashed on purpose")

    async def stop(self, message):
        raise StopConsumer()


async def test_messages_of_a_named_channel_reach_one_long_lived_instance(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from django.test import override_settings

    config = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    with override_settings(CHANNEL_LAYERS=config):
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        stop = asyncio.Event()
        worker = ChannelWorker(
            ChannelNameRouter({"doubler": Doubler.as_asgi()}), ["doubler"], layer
        )
        running = asyncio.ensure_future(worker.run(stop))
        reply_to = await layer.new_channel()

        async def ask(n: int) -> dict:
            await layer.send("doubler", {"type": "double", "n": n, "reply_to": reply_to})
            return await asyncio.wait_for(layer.receive(reply_to), 10)

        first, second = await ask(1), await ask(2)
        assert (first["n"], second["n"]) == (2, 4)
        assert first["me"] == second["me"]
        # An instance that raises is logged and replaced for the next message.
        await layer.send("doubler", {"type": "crash"})
        third = await ask(3)
        assert third["n"] == 6 and third["me"] != first["me"]
        assert "crashed on purpose" in caplog.text
        stop.set()
        await asyncio.wait_for(running, 10)


def test_process_specific_or_invalid_names_are_refused() -> None:
    layer = AsyncChannelLayer(InMemoryChannelLayer())
    for name in ("specific.abc!x", "has space"):
        with pytest.raises(ValueError, match=r"cannot|invalid"):
            ChannelWorker(Doubler.as_asgi(), [name], layer)
    with pytest.raises(ValueError, match="at least one"):
        ChannelWorker(Doubler.as_asgi(), [], layer)
