"""What only the in-memory layer does: it forgets what nobody will read, and leaves no
waiters behind. These look at its private tables, since memory use is the point."""

from __future__ import annotations

import asyncio
import time

from channels.layers import inmemory
from channels.layers.inmemory import InMemoryChannelLayer


def test_expired_messages_of_abandoned_channels_are_swept() -> None:
    layer = InMemoryChannelLayer(expiry=0.2)
    for number in range(50):
        layer.send(f"abandoned.{number}", {"n": number})
        layer.send(f"abandoned.proc{number}!x", {"n": number})
    time.sleep(0.5)  # expiry: nothing to wait on but time passing
    layer.send("fresh", {"n": 1})  # any send past the sweep interval sweeps
    assert list(layer._queues) == ["fresh"]
    assert layer.global_statistics()["messages_expired"] == 100


def test_lapsed_memberships_of_abandoned_groups_are_swept() -> None:
    layer = InMemoryChannelLayer(expiry=0.2, group_expiry=0.2)
    for number in range(50):
        layer.group_add(f"abandoned.{number}", "member")
    time.sleep(0.5)  # expiry: nothing to wait on but time passing
    layer.send("fresh", {"n": 1})
    assert layer._groups == {}


def test_a_receive_that_times_out_leaves_no_waiter_behind() -> None:
    layer = InMemoryChannelLayer()
    assert layer.receive(["idle", "idle.proc!"], block=True, timeout=0.05) == (None, None)
    assert layer._waiters == {}


def test_an_areceive_that_times_out_or_is_cancelled_leaves_no_waiter_behind() -> None:
    layer = InMemoryChannelLayer()

    async def scenario() -> None:
        assert await layer.areceive(["idle"], block=True, timeout=0.05) == (None, None)
        task = asyncio.ensure_future(layer.areceive(["idle"], block=True, timeout=10))
        await asyncio.sleep(0)  # let it register its waiter
        assert layer._waiters
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(scenario())
    assert layer._waiters == {}


def test_a_woken_receive_leaves_no_waiter_behind() -> None:
    layer = InMemoryChannelLayer()

    async def scenario() -> tuple[object, object]:
        task = asyncio.ensure_future(layer.areceive(["woken", "other"], block=True, timeout=10))
        await asyncio.sleep(0)
        layer.send("woken", {"n": 1})
        return await asyncio.wait_for(task, 5)

    assert asyncio.run(scenario()) == ("woken", {"n": 1})
    assert layer._waiters == {}


def test_a_send_does_not_fail_when_a_waiting_loop_has_closed() -> None:
    layer = InMemoryChannelLayer()
    loop = asyncio.new_event_loop()
    task = loop.create_task(layer.areceive(["orphan"], block=True, timeout=10))
    loop.run_until_complete(asyncio.sleep(0))  # the receive is now waiting
    task.cancel()
    loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
    loop.close()
    layer.send("orphan", {"n": 1})
    assert layer.receive(["orphan"]) == ("orphan", {"n": 1})


def test_layer_objects_do_not_share_messages() -> None:
    first, second = InMemoryChannelLayer(), InMemoryChannelLayer()
    first.send("private", {"n": 1})
    assert second.receive(["private"]) == (None, None)
    assert first.receive(["private"]) == ("private", {"n": 1})


def test_the_seed_era_name_is_the_in_memory_layer() -> None:
    assert inmemory.ChannelLayer is InMemoryChannelLayer
