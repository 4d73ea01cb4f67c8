"""Channel layer throughput and latency, side by side with raw redis-py on the same Redis.

    .venv/bin/python benchmarks/layers.py [--redis-url redis://127.0.0.1:6379] [-n 20000]

Prints one table. The baseline is the least any Redis queue can do: LPUSH to send, BRPOP to
receive, the same msgpack payload, with redis-py's sync client for our sync API and its
asyncio client for our async API. Our numbers include validation,
encoding, the capacity check and expiry (one Lua round trip per send) and expiry checks on
receive. Also times send_group to 1,000 members spread over 2 process-specific prefixes and
counts the round trips (script calls) it made.
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


def bench_layer(layer: RedisChannelLayer, n: int) -> dict[str, float]:
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


def bench_layer_async(layer: RedisChannelLayer, n: int) -> dict[str, float]:
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


def bench_group(layer: RedisChannelLayer, client: redis.Redis) -> dict[str, float]:
    members = [f"daphne.response.{'AB'[i % 2]}!c{i}" for i in range(1000)]
    for channel in members:
        layer.group_add("bench", channel)
    timings, calls = [], []
    for _ in range(20):
        before = script_calls(client)
        start = time.perf_counter()
        layer.send_group("bench", MESSAGE)
        timings.append(time.perf_counter() - start)
        calls.append(script_calls(client) - before)
        stored = client.llen(layer.prefix + "daphne.response.A!") + client.llen(
            layer.prefix + "daphne.response.B!"
        )
        received = 0
        while layer.receive(["daphne.response.A!", "daphne.response.B!"])[0]:
            received += 1
        assert received == 1000, received
    p50, p99 = percentiles(timings)
    return {"p50": p50, "p99": p99, "round_trips": max(calls), "stored": stored}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
    )
    parser.add_argument("-n", type=int, default=20000, help="messages per measurement")
    args = parser.parse_args()

    client = redis.Redis.from_url(args.redis_url)
    prefix = f"bench:{uuid.uuid4().hex[:8]}:"
    layer = RedisChannelLayer(hosts=[args.redis_url], prefix=prefix, capacity=args.n + 1)
    try:
        raw = bench_raw(client, prefix + "raw", args.n)
        raw_async = bench_raw_async(args.redis_url, prefix + "raw.async", args.n)
        ours_sync = bench_layer(layer, args.n)
        ours_async = bench_layer_async(layer, args.n)
        group = bench_group(layer, client)
    finally:
        layer.flush()
        layer.close()

    print(f"\nChannel layer vs raw redis-py, {args.n} messages of {len(str(MESSAGE))} chars\n")
    header = ("measure", "raw sync", "ours sync", "ratio", "raw async", "ours async", "ratio")
    print(
        f"{header[0]:<24}{header[1]:>11}{header[2]:>11}{header[3]:>7}"
        f"{header[4]:>11}{header[5]:>11}{header[6]:>7}"
    )
    print("-" * 82)
    for key, label, unit in (
        ("send", "send", "msg/s"),
        ("receive", "receive", "msg/s"),
        ("p50", "send->receive p50", "ms"),
        ("p99", "send->receive p99", "ms"),
    ):
        digits = 0 if unit == "msg/s" else 3
        ratios = [
            ours[key] / base[key] if unit == "msg/s" else base[key] / ours[key]
            for ours, base in ((ours_sync, raw), (ours_async, raw_async))
        ]
        print(
            f"{label + ' (' + unit + ')':<24}{raw[key]:>11.{digits}f}{ours_sync[key]:>11.{digits}f}"
            f"{ratios[0]:>7.0%}{raw_async[key]:>11.{digits}f}{ours_async[key]:>11.{digits}f}"
            f"{ratios[1]:>7.0%}"
        )
    print(
        f"\nsend_group to 1,000 members on 2 process prefixes: p50 {group['p50']:.2f} ms, "
        f"p99 {group['p99']:.2f} ms, {group['round_trips']:.0f} script call(s) on the one "
        f"shard, {group['stored']:.0f} stored copies"
    )


if __name__ == "__main__":
    main()
