"""The Redis layer on one server beside the same layer on a Redis Cluster, with raw redis-py,
in one run (``layers.py`` compares the single-server and IPC layers).

    .venv/bin/python benchmarks/cluster.py [--redis-url redis://127.0.0.1:6379] [-n 20000]

Prints one table. The baseline is the least any Redis queue can do: LPUSH to send, BRPOP to
receive, the same msgpack payload, with redis-py's sync client for our sync API and its
asyncio client for our async API. Our numbers include validation,
encoding, the capacity check and expiry (one Lua round trip per send) and expiry checks on
receive. Also times send_group to 1,000 members spread over 2 process-specific prefixes and
counts the round trips (script calls) it made.

The cluster columns run the same layer on a Redis Cluster of 3 primaries that the benchmark
starts on loopback (needs ``redis-server`` and ``redis-cli``; ``--no-cluster`` skips it), and
add send_group to 1,000 members whose queues are spread over all 16384 slots.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid

import redis

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

# The measurements are layers.py's own: this script adds the cluster to them.
from layers import (
    MESSAGE,
    bench_layer,
    bench_layer_async,
    bench_raw,
    bench_raw_async,
    percentiles,
)

from channels.layers.redis import RedisChannelLayer
from tests.layers.redis_cluster import LocalCluster


def script_calls(clients: list[redis.Redis]) -> int:
    total = 0
    for client in clients:
        stats = client.info("commandstats")
        total += sum(
            stats.get(name, {}).get("calls", 0) for name in ("cmdstat_evalsha", "cmdstat_eval")
        )
    return total


def bench_group(
    layer: RedisChannelLayer, clients: list[redis.Redis], members: list[str], rounds: int = 20
) -> dict[str, float]:
    """send_group to ``members`` (its timings, and the script calls of one send summed over
    ``clients``, the primaries); each round receives everything again."""
    group = f"bench{len(set(m.split('!')[0] for m in members))}"
    for channel in members:
        layer.group_add(group, channel)
    queues = sorted({m.split("!")[0] + "!" if "!" in m else m for m in members})
    timings, calls = [], []
    for _ in range(rounds):
        before = script_calls(clients)
        start = time.perf_counter()
        layer.send_group(group, MESSAGE)
        timings.append(time.perf_counter() - start)
        calls.append(script_calls(clients) - before)
        received = 0
        for queue in queues:
            while layer.receive([queue])[0]:
                received += 1
        assert received == len(members), received
    p50, p99 = percentiles(timings)
    # The fewest: the first send also loads the scripts on a fresh server.
    return {"p50": p50, "p99": p99, "round_trips": min(calls)}


TWO_PREFIXES = [f"daphne.response.{'AB'[i % 2]}!c{i}" for i in range(1000)]
SPREAD = [f"member.{i}" for i in range(1000)]


def bench_cluster(n: int) -> dict[str, dict[str, float]]:
    """Our sync and async rates and the group sends on a 3-primary cluster of our own."""
    with LocalCluster(primaries=3, replicas_each=0) as cluster:
        prefix = f"bench:{uuid.uuid4().hex[:8]}:"
        layer = RedisChannelLayer(hosts=[cluster.url], prefix=prefix, capacity=n + 1)
        clients = [node.client() for node in cluster.nodes]
        try:
            return {
                "sync": bench_layer(layer, n),
                "async": bench_layer_async(layer, n),
                "prefixes": bench_group(layer, clients, TWO_PREFIXES),
                "spread": bench_group(layer, clients, SPREAD, rounds=10),
            }
        finally:
            layer.flush()
            layer.close()
            for client in clients:
                client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
    )
    parser.add_argument("-n", type=int, default=20000, help="messages per measurement")
    parser.add_argument("--no-cluster", action="store_true", help="skip the cluster columns")
    args = parser.parse_args()

    client = redis.Redis.from_url(args.redis_url)
    prefix = f"bench:{uuid.uuid4().hex[:8]}:"
    layer = RedisChannelLayer(hosts=[args.redis_url], prefix=prefix, capacity=args.n + 1)
    try:
        raw = bench_raw(client, prefix + "raw", args.n)
        raw_async = bench_raw_async(args.redis_url, prefix + "raw.async", args.n)
        ours_sync = bench_layer(layer, args.n)
        ours_async = bench_layer_async(layer, args.n)
        group = bench_group(layer, [client], TWO_PREFIXES)
        spread = bench_group(layer, [client], SPREAD, rounds=10)
    finally:
        layer.flush()
        layer.close()
    cluster = None if args.no_cluster else bench_cluster(args.n)

    print(f"\nChannel layer vs raw redis-py, {args.n} messages of {len(str(MESSAGE))} chars")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    header = ("measure", "raw sync", "ours sync", "ratio", "raw async", "ours async", "ratio")
    columns = ("cluster sync", "cluster async") if cluster else ()
    print(
        f"{header[0]:<24}{header[1]:>11}{header[2]:>11}{header[3]:>7}"
        f"{header[4]:>11}{header[5]:>11}{header[6]:>7}" + "".join(f"{c:>15}" for c in columns)
    )
    print("-" * (82 + 15 * len(columns)))
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
        extra = (
            f"{cluster['sync'][key]:>15.{digits}f}{cluster['async'][key]:>15.{digits}f}"
            if cluster
            else ""
        )
        print(
            f"{label + ' (' + unit + ')':<24}{raw[key]:>11.{digits}f}{ours_sync[key]:>11.{digits}f}"
            f"{ratios[0]:>7.0%}{raw_async[key]:>11.{digits}f}{ours_async[key]:>11.{digits}f}"
            f"{ratios[1]:>7.0%}" + extra
        )
    print("\nsend_group to 1,000 members (sync API): p50 / p99 ms, script calls per send")
    rows = [("on 2 process prefixes", group, cluster and cluster["prefixes"])]
    rows.append(("over all slots", spread, cluster and cluster["spread"]))
    for label, single, on_cluster in rows:
        line = (
            f"  {label:<24} one server: {single['p50']:.2f} / {single['p99']:.2f} ms, "
            f"{single['round_trips']:.0f} call(s)"
        )
        if on_cluster:
            line += (
                f"; cluster: {on_cluster['p50']:.2f} / {on_cluster['p99']:.2f} ms, "
                f"{on_cluster['round_trips']:.0f} call(s) in one pipeline per primary"
            )
        print(line)


if __name__ == "__main__":
    main()
