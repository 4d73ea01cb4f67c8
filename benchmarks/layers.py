"""Channel layer throughput and latency: the Redis layer, the IPC layer and raw redis-py.

    .venv/bin/python benchmarks/layers.py [--redis-url redis://127.0.0.1:6379] [-n 20000]

Prints one table, every column from the same run on the same machine. The baseline is the
least any Redis queue can do: LPUSH to send, BRPOP to receive, the same msgpack payload, with
redis-py's sync client for the sync API and its asyncio client for the async API. The layers'
numbers include validation, encoding, the capacity check and expiry (the Redis layer: one Lua
round trip per send; the IPC layer: one SQLite transaction under its lock) and expiry checks
on receive. Also times send_group to 1,000 members spread over 2 process-specific prefixes
and counts the round trips (script calls) it made. The IPC layer's store is in ``/dev/shm``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable

import msgpack
import redis

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from channels.layers.base import BaseChannelLayer
from channels.layers.ipc import IPCChannelLayer
from channels.layers.redis import RedisChannelLayer

MESSAGE = {
    "reply_channel": "daphne.response.AbCdEfGh!xYz",
    "path": "/chat/lobby/",
    "order": 3,
    "text": "x" * 100,
}


def rate(count: int, run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    return count / (time.perf_counter() - start)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return (
        statistics.median(ordered) * 1000,
        ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    )


def bench_raw(client: redis.Redis, key: str, n: int) -> dict[str, float]:
    payload = msgpack.packb(MESSAGE, use_bin_type=True)
    send = rate(n, lambda: [client.lpush(key, payload) for _ in range(n)])

    def receive_all() -> None:
        for _ in range(n):
            _, data = client.brpop([key], timeout=5)
            msgpack.unpackb(data, raw=False)

    receive = rate(n, receive_all)
    samples = []
    for _ in range(min(n, 5000)):
        start = time.perf_counter()
        client.lpush(key, payload)
        client.brpop([key], timeout=5)
        samples.append(time.perf_counter() - start)
    p50, p99 = percentiles(samples)
    return {"send": send, "receive": receive, "p50": p50, "p99": p99}


def bench_raw_async(url: str, key: str, n: int) -> dict[str, float]:
    """The async baseline: redis.asyncio LPUSH/BRPOP, for comparing the async API fairly."""
    import redis.asyncio

    payload = msgpack.packb(MESSAGE, use_bin_type=True)

    async def run() -> dict[str, float]:
        client = redis.asyncio.Redis.from_url(url)
        start = time.perf_counter()
        for _ in range(n):
            await client.lpush(key, payload)
        send = n / (time.perf_counter() - start)
        start = time.perf_counter()
        for _ in range(n):
            _, data = await client.brpop([key], timeout=5)
            msgpack.unpackb(data, raw=False)
        receive = n / (time.perf_counter() - start)
        samples = []
        for _ in range(min(n, 5000)):
            start = time.perf_counter()
            await client.lpush(key, payload)
            await client.brpop([key], timeout=5)
            samples.append(time.perf_counter() - start)
        await client.aclose()
        p50, p99 = percentiles(samples)
        return {"send": send, "receive": receive, "p50": p50, "p99": p99}

    return asyncio.run(run())


def bench_layer(layer: BaseChannelLayer, n: int) -> dict[str, float]:
    send = rate(n, lambda: [layer.send("bench", MESSAGE) for _ in range(n)])
    receive = rate(n, lambda: [layer.receive(["bench"], block=True) for _ in range(n)])
    samples = []
    for _ in range(min(n, 5000)):
        start = time.perf_counter()
        layer.send("bench", MESSAGE)
        layer.receive(["bench"], block=True)
        samples.append(time.perf_counter() - start)
    p50, p99 = percentiles(samples)
    return {"send": send, "receive": receive, "p50": p50, "p99": p99}


def bench_layer_async(layer: BaseChannelLayer, n: int) -> dict[str, float]:
    async def run() -> dict[str, float]:
        start = time.perf_counter()
        for _ in range(n):
            await layer.asend("bench", MESSAGE)
        send = n / (time.perf_counter() - start)
        start = time.perf_counter()
        for _ in range(n):
            await layer.areceive(["bench"], block=True)
        receive = n / (time.perf_counter() - start)
        samples = []
        for _ in range(min(n, 5000)):
            start = time.perf_counter()
            await layer.asend("bench", MESSAGE)
            await layer.areceive(["bench"], block=True)
            samples.append(time.perf_counter() - start)
        await layer.aclose()
        p50, p99 = percentiles(samples)
        return {"send": send, "receive": receive, "p50": p50, "p99": p99}

    return asyncio.run(run())


def script_calls(client: redis.Redis) -> int:
    stats = client.info("commandstats")
    return sum(stats.get(name, {}).get("calls", 0) for name in ("cmdstat_evalsha", "cmdstat_eval"))


def bench_group(layer: BaseChannelLayer, client: redis.Redis | None) -> dict[str, float]:
    """send_group to 1,000 members on 2 prefixes; ``client`` counts Redis script calls."""
    members = [f"daphne.response.{'AB'[i % 2]}!c{i}" for i in range(1000)]
    queues = ["daphne.response.A!", "daphne.response.B!"]
    for channel in members:
        layer.group_add("bench", channel)
    timings, calls = [], []
    for _ in range(20):
        before = script_calls(client) if client is not None else 0
        start = time.perf_counter()
        layer.send_group("bench", MESSAGE)
        timings.append(time.perf_counter() - start)
        calls.append(script_calls(client) - before if client is not None else 1)
        stored = sum(layer.channel_statistics(queue)["messages_pending"] for queue in queues)
        received = 0
        while layer.receive(queues)[0]:
            received += 1
        assert received == 1000, received
    p50, p99 = percentiles(timings)
    return {"p50": p50, "p99": p99, "round_trips": max(calls), "stored": stored}


def one_round(args: argparse.Namespace, client: redis.Redis) -> dict[str, dict[str, float]]:
    """Every measurement once, each layer measurement on a fresh layer (flushed after)."""
    prefix = f"bench:{uuid.uuid4().hex[:8]}:"
    makers: dict[str, Callable[[], BaseChannelLayer]] = {
        "redis": lambda: RedisChannelLayer(
            hosts=[args.redis_url], prefix=prefix, capacity=args.n + 1
        ),
        "ipc": lambda: IPCChannelLayer(f"bench-{uuid.uuid4().hex[:8]}", capacity=args.n + 1),
    }
    found = {
        "raw sync": bench_raw(client, prefix + "raw", args.n),
        "raw async": bench_raw_async(args.redis_url, prefix + "raw.async", args.n),
    }
    client.delete(prefix + "raw", prefix + "raw.async")
    for name, make in makers.items():
        for kind, run in (
            ("sync", lambda layer: bench_layer(layer, args.n)),
            ("async", lambda layer: bench_layer_async(layer, args.n)),
            ("group", lambda layer: bench_group(layer, client if name == "redis" else None)),  # noqa: B023
        ):
            layer = make()
            try:
                found[f"{name} {kind}"] = run(layer)
            finally:
                layer.flush()
                layer.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
    )
    parser.add_argument("-n", type=int, default=20000, help="messages per measurement")
    parser.add_argument("--repeat", type=int, default=3, help="rounds (median is shown)")
    args = parser.parse_args()

    client = redis.Redis.from_url(args.redis_url)
    # Layers take turns, round after round, so a burst of load from elsewhere on the machine
    # lands on all of them; each cell is the median over the rounds.
    rounds = []
    for number in range(args.repeat):
        print(f"round {number + 1}/{args.repeat}...", file=sys.stderr, flush=True)
        rounds.append(one_round(args, client))
    median = {
        column: {
            key: statistics.median(r[column][key] for r in rounds) for key in rounds[0][column]
        }
        for column in rounds[0]
    }

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"\nChannel layers vs raw redis-py, {args.n} messages of {len(str(MESSAGE))} chars, "
        f"median of {args.repeat} rounds; load average at the end: {load}\n"
    )
    columns = ("raw sync", "redis sync", "ipc sync", "raw async", "redis async", "ipc async")
    print(f"{'measure':<24}" + "".join(f"{name:>12}" for name in columns))
    print("-" * (24 + 12 * len(columns)))
    for key, label, unit in (
        ("send", "send", "msg/s"),
        ("receive", "receive", "msg/s"),
        ("p50", "send->receive p50", "ms"),
        ("p99", "send->receive p99", "ms"),
    ):
        digits = 0 if unit == "msg/s" else 3
        print(
            f"{label + ' (' + unit + ')':<24}"
            + "".join(f"{median[column][key]:>12.{digits}f}" for column in columns)
        )
    for name, unit in (("redis", "script call(s) on the one shard"), ("ipc", "transaction")):
        group = median[f"{name} group"]
        print(
            f"\n{name}: send_group to 1,000 members on 2 process prefixes: p50 "
            f"{group['p50']:.2f} ms, p99 {group['p99']:.2f} ms, {group['round_trips']:.0f} "
            f"{unit}, {group['stored']:.0f} stored copies"
        )


if __name__ == "__main__":
    main()
