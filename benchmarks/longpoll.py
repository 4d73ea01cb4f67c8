"""A burst of long-poll requests parked with ``ResponseLater``, on default settings.

    .venv/bin/python benchmarks/longpoll.py [--requests 2000] [--redis-url redis://...]
                                            [--http-capacity N]

Starts ``daphne`` + 2 ``runworker`` (default settings: no ``--threads``, the layer's default
capacities) on Redis, serving ``benchmarks/project``, then:

1. opens ``--requests`` connections at once, each sending ``GET /park/``: the view hands its
   reply channel to the ``longpoll.park`` consumer and raises ``ResponseLater``, and that
   consumer parks it in the ``longpoll`` group;
2. waits until every request is either parked (in the group) or answered (a ``503`` when
   ``http.request`` was full);
3. sends one message to ``longpoll.release``, whose consumer answers the whole group with
   one group message, and waits for every answer.

Prints how many requests were parked, answered 200, answered 503 (and anything else), and
how long parking and releasing took. ``--http-capacity 100`` gives ``http.request`` the
capacity it had before the default was raised, to see the difference in the same run.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path (see benchmarks/http.py).
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import collections  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402

from benchmarks.project.consumers import LONGPOLL_GROUP  # noqa: E402
from benchmarks.project.servers import (  # noqa: E402
    flush_prefix,
    new_prefix,
    project_env,
    start_daphne,
    start_runworker,
    stopping,
)
from channels.layers.redis import RedisChannelLayer  # noqa: E402

PATH = "/park/"
#: Longest wait for any phase (the interface server's HTTP timeout is 60 s).
DEADLINE = 50.0


async def long_poll(port: int, statuses: collections.Counter[str]) -> None:
    """One request on its own connection; counts its status (or how it failed)."""
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port), DEADLINE
        )
    except (OSError, asyncio.TimeoutError) as exc:
        statuses[f"connect failed: {type(exc).__name__}"] += 1
        return
    try:
        writer.write(f"GET {PATH} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode())
        line = await asyncio.wait_for(reader.readline(), DEADLINE * 2)
        parts = line.split()
        statuses[parts[1].decode() if len(parts) > 1 else "no answer"] += 1
    except (OSError, asyncio.TimeoutError) as exc:
        statuses[f"failed: {type(exc).__name__}"] += 1
    finally:
        writer.close()


async def burst(port: int, layer: RedisChannelLayer, count: int) -> dict[str, object]:
    statuses: collections.Counter[str] = collections.Counter()
    started = time.perf_counter()
    clients = [asyncio.ensure_future(long_poll(port, statuses)) for _ in range(count)]
    # Parked requests are group members; refused ones have their answer already.
    deadline = time.monotonic() + DEADLINE
    parked = 0
    while True:
        parked = len(await layer.agroup_channels(LONGPOLL_GROUP))
        if parked + sum(statuses.values()) >= count:
            break
        if time.monotonic() > deadline:
            print(
                f"gave up waiting: {parked} parked, {dict(statuses)} answered",
                file=sys.stderr,
            )
            break
        await asyncio.sleep(0.05)  # another process's work: poll the group
    parking = time.perf_counter() - started
    answered_early = sum(statuses.values())
    released = time.perf_counter()
    await layer.asend("longpoll.release", {})
    await asyncio.wait(clients, timeout=DEADLINE)
    releasing = time.perf_counter() - released
    return {
        "parked": parked,
        "answered before the release": answered_early,
        "statuses": dict(statuses),
        "parking s": parking,
        "release s": releasing,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379"
    )
    parser.add_argument(
        "--http-capacity", type=int, help="http.request's capacity (default: the layer's)"
    )
    args = parser.parse_args()
    prefix = new_prefix("longpoll")
    env = project_env("redis", prefix, args.redis_url)
    if args.http_capacity is not None:
        env["BENCH_CHANNEL_CAPACITY"] = json.dumps({"http.request": args.http_capacity})
    try:
        with stopping([]) as processes:
            for _ in range(2):
                processes.append(start_runworker(env))
            daphne, port = start_daphne(env)
            processes.append(daphne)
            layer = RedisChannelLayer(hosts=[args.redis_url], prefix=prefix)
            try:
                result = asyncio.run(burst(port, layer, args.requests))
            finally:
                layer.close()
    finally:
        flush_prefix(prefix, args.redis_url)
    statuses: dict[str, int] = result["statuses"]  # type: ignore[assignment]
    capacity = args.http_capacity or "default"
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"{args.requests:,} concurrent GET {PATH} (ResponseLater, parked in a group), daphne + "
        f"Redis + 2 runworker, http.request capacity: {capacity}; {os.cpu_count()} cores, "
        f"load average at the end: {load}"
    )
    print(f"parked                        {result['parked']:>6,}")
    print(f"answered 200 after release    {statuses.get('200', 0):>6,}")
    print(f"answered 503                  {statuses.get('503', 0):>6,}")
    others = {k: v for k, v in statuses.items() if k not in ("200", "503")}
    if others:
        print(f"other outcomes                {others}")
    print(f"all parked or refused after   {result['parking s']:>6.2f} s")
    print(f"all answered after release    {result['release s']:>6.2f} s")


if __name__ == "__main__":
    main()
