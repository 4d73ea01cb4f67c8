"""WebSockets through daphne + the bridge + Redis + 2 ``runworker`` processes.

    .venv/bin/python benchmarks/websocket.py [--clients 50] [--duration 10] [--sockets 1000]
                                             [--rounds 5] [--redis-url redis://127.0.0.1:6379]

Runs the benchmark project (``benchmarks/project``) as the docs deploy it and measures, with
the ``websockets`` client library in this process:

* **idle sockets**: daphne's RSS before and after opening ``--sockets`` idle WebSockets,
  divided by their number (measured first, on a fresh server, so freed memory of earlier
  phases does not hide the cost);
* **echo**: ``--clients`` clients each send a frame and wait for it to come back (through
  ``websocket.receive``, a worker's echo consumer and the reply channel), for ``--duration``
  seconds: round trips per second and their p50/p99;
* **broadcast**: ``--sockets`` sockets join a group (``Group("bench").add`` in their connect
  consumer); then this process sends one message to the group, as a worker's
  ``Group("bench").send`` would, and times its arrival at every socket: first, median and
  last, per round; the table shows the median round.

With ``--channels4``, it measures instead the Channels 4-style echo consumers of
``benchmarks/channels4_project`` (daphne running them in-process, ``channels_redis``
settings) on this package and on real Channels 4 + channels_redis (a virtualenv of its own,
see ``benchmarks/channels4.py``), in the same run, on the same Redis, taking turns per round:
a plain echo (no layer) and a group echo (``group_send`` to the socket's own group, as the
chat tutorial does).

Needs Redis. Every process it starts is stopped and its Redis keys deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import time
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and benchmarks/http.py there
# is named like the standard library's ``http`` package: put the project root there instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from websockets.asyncio.client import ClientConnection, connect  # noqa: E402

from benchmarks.project.consumers import BROADCAST_GROUP  # noqa: E402
from benchmarks.project.servers import (  # noqa: E402
    Process,
    flush_prefix,
    new_prefix,
    project_env,
    start_daphne,
    start_runworker,
    stopping,
)
from channels.layers.redis import RedisChannelLayer  # noqa: E402

#: How many handshakes are in flight at once while opening many sockets (more would only
#: queue up on websocket.connect).
CONNECT_CONCURRENCY = 50
#: Deadline for any one wait on the server (a handshake, an echo, a broadcast).
DEADLINE = 30.0


async def open_sockets(url: str, count: int) -> list[ClientConnection]:
    """``count`` open WebSockets to ``url``, opened ``CONNECT_CONCURRENCY`` at a time."""
    sockets: list[ClientConnection] = []
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one() -> None:
        async with gate:
            socket = await asyncio.wait_for(
                connect(url, compression=None, ping_interval=None, open_timeout=DEADLINE),
                DEADLINE,
            )
            sockets.append(socket)

    results = await asyncio.gather(*(one() for _ in range(count)), return_exceptions=True)
    failures = [result for result in results if isinstance(result, BaseException)]
    if failures:
        await close_sockets(sockets)
        raise SystemExit(f"{len(failures)} of {count} handshakes to {url} failed: {failures[0]!r}")
    return sockets


async def close_sockets(sockets: list[ClientConnection]) -> None:
    """Close ``sockets``, ``CONNECT_CONCURRENCY`` at a time.

    Closing 1,000 at once makes daphne send 1,000 ``websocket.disconnect`` concurrently
    (see the ``max_connections`` note in ``project/settings.py``); a real site's sockets do
    not all close in the same millisecond.
    """
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one(socket: ClientConnection) -> None:
        async with gate:
            await socket.close()

    await asyncio.gather(*(one(socket) for socket in sockets), return_exceptions=True)


def rss_kib_settled(daphne: Process) -> int:
    """Daphne's RSS once it stopped changing (reading it twice, 0.2 s apart, at most 5 s)."""
    last = daphne.rss_kib()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = daphne.rss_kib()
        if now == last:
            return now
        last = now
    return last


async def idle_rss(base: str, daphne: Process, count: int) -> tuple[int, int, float]:
    """(RSS before, RSS after, KiB per socket) for ``count`` idle sockets."""
    # Warm up first: imports, the reply loop, connection pools.
    await close_sockets(await open_sockets(f"{base}/idle/", 20))
    before = await asyncio.to_thread(rss_kib_settled, daphne)
    sockets = await open_sockets(f"{base}/idle/", count)
    after = await asyncio.to_thread(rss_kib_settled, daphne)
    await close_sockets(sockets)
    return before, after, (after - before) / count


async def echo(
    base: str, clients: int, seconds: float, path: str = "/echo/"
) -> tuple[float, float, float]:
    """(round trips/s, p50 ms, p99 ms) for ``clients`` clients echoing for ``seconds``."""
    sockets = await open_sockets(f"{base}{path}", clients)
    samples: list[float] = []
    payload = "x" * 64

    async def client(socket: ClientConnection, until: float) -> None:
        while time.perf_counter() < until:
            started = time.perf_counter()
            await socket.send(payload)
            reply = await asyncio.wait_for(socket.recv(), DEADLINE)
            samples.append(time.perf_counter() - started)
            if reply != payload:
                raise SystemExit(f"echo returned {reply!r}, expected {payload!r}")

    try:
        # Warm-up: both workers have imported and connected before we count.
        await asyncio.gather(*(client(s, time.perf_counter() + 1) for s in sockets))
        samples.clear()
        started = time.perf_counter()
        await asyncio.gather(*(client(s, started + seconds) for s in sockets))
        elapsed = time.perf_counter() - started
    finally:
        await close_sockets(sockets)
    ordered = sorted(samples)
    return (
        len(ordered) / elapsed,
        statistics.median(ordered) * 1000,
        ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    )


async def broadcast(
    base: str, layer: RedisChannelLayer, count: int, rounds: int
) -> list[tuple[float, float, float]]:
    """Per round: (first, median, last) arrival in ms of one group message at ``count``
    sockets."""
    sockets = await open_sockets(f"{base}/broadcast/", count)
    results = []
    try:
        # Every connect consumer has run once the group has every socket.
        deadline = time.monotonic() + DEADLINE
        while len(await layer.agroup_channels(BROADCAST_GROUP)) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"fewer than {count} sockets joined the group in {DEADLINE} s")
            await asyncio.sleep(0.05)  # waiting on another process's work: poll the group
        for number in range(rounds):
            text = f"round {number}"

            async def arrival(
                socket: ClientConnection, clock: list[float], text: str = text
            ) -> float:
                message = await asyncio.wait_for(socket.recv(), DEADLINE)
                if message != text:
                    raise SystemExit(f"broadcast delivered {message!r}, expected {text!r}")
                return time.perf_counter() - clock[0]

            gc.collect()
            clock: list[float] = []
            waiting = [asyncio.ensure_future(arrival(s, clock)) for s in sockets]
            await asyncio.sleep(0)  # one turn of the loop: every receiver is now waiting
            clock.append(time.perf_counter())
            await layer.asend_group(BROADCAST_GROUP, {"text": text})
            times = sorted(await asyncio.gather(*waiting))
            results.append((times[0] * 1000, statistics.median(times) * 1000, times[-1] * 1000))
    finally:
        await close_sockets(sockets)
    return results


def table(rows: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in rows)
    lines = [f"{'daphne + Redis + 2 runworker':<{width}}  result", f"{'-' * width}  {'-' * 30}"]
    lines += [f"{name:<{width}}  {value}" for name, value in rows]
    return "\n".join(lines)


async def measure(args: argparse.Namespace, daphne: Process, port: int, prefix: str) -> str:
    base = f"ws://127.0.0.1:{port}"
    layer = RedisChannelLayer(hosts=[args.redis_url], prefix=prefix)
    rows: list[tuple[str, str]] = []
    try:
        print("measuring idle sockets...", file=sys.stderr, flush=True)
        before, after, per_socket = await idle_rss(base, daphne, args.sockets)
        rows.append(
            (
                f"daphne RSS per idle WebSocket ({args.sockets:,})",
                f"{per_socket:.1f} KiB ({before / 1024:.0f} -> {after / 1024:.0f} MiB)",
            )
        )
        print("measuring echo...", file=sys.stderr, flush=True)
        rate, p50, p99 = await echo(base, args.clients, args.duration)
        rows.append((f"echo round trips/s, {args.clients} clients", f"{rate:,.0f}"))
        rows.append(
            (f"echo round trip p50 / p99, {args.clients} clients", f"{p50:.2f} / {p99:.2f} ms")
        )
        print("measuring broadcast...", file=sys.stderr, flush=True)
        rounds = await broadcast(base, layer, args.sockets, args.rounds)
        first, median, last = sorted(rounds, key=lambda r: r[2])[len(rounds) // 2]
        rows.append(
            (
                f"group broadcast to {args.sockets:,} sockets, first arrival",
                f"{first:.1f} ms",
            )
        )
        rows.append(
            (f"group broadcast to {args.sockets:,} sockets, p50 arrival", f"{median:.1f} ms")
        )
        rows.append(
            (
                f"group broadcast to {args.sockets:,} sockets, last arrival",
                f"{last:.1f} ms (aim: < 250 ms)",
            )
        )
        rows.append(
            (
                "  last arrival of each round",
                ", ".join(f"{r[2]:.0f}" for r in rounds) + " ms",
            )
        )
    finally:
        await layer.aclose()
    return table(rows)


async def compare_round(port: int, args: argparse.Namespace) -> dict[str, tuple]:
    base = f"ws://127.0.0.1:{port}"
    return {
        "echo": await echo(base, args.clients, args.duration, "/echo/"),
        "group": await echo(base, args.clients, args.duration, "/group/"),
    }


def compare_channels4(args: argparse.Namespace) -> str:
    """The ``--channels4`` table: each server measured ``--rounds`` times, alternating; the
    median round of each is shown."""
    from benchmarks import channels4

    venv, versions = channels4.ensure_channels4()
    results: dict[str, list[dict[str, tuple]]] = {"ours": [], "theirs": []}
    prefixes = {"ours": new_prefix("c4-ours"), "theirs": new_prefix("c4-theirs")}
    try:
        for number in range(args.rounds):
            for who in ("ours", "theirs"):
                print(f"round {number + 1}: {who}...", file=sys.stderr, flush=True)
                with stopping([]) as processes:
                    if who == "ours":
                        server, port = channels4.start_ours(prefixes[who], args.redis_url)
                    else:
                        server, port = channels4.start_channels4(
                            venv, prefixes[who], args.redis_url
                        )
                    processes.append(server)
                    results[who].append(asyncio.run(compare_round(port, args)))
    finally:
        for prefix in prefixes.values():
            flush_prefix(prefix, args.redis_url)

    def median(who: str, kind: str) -> tuple:
        rounds = sorted(results[who], key=lambda r: r[kind][0])
        return rounds[len(rounds) // 2][kind]

    rows = [("", "this package", "Channels 4", "ratio")]
    for kind, label in (("echo", "echo"), ("group", "group echo (group_send)")):
        ours, theirs = median("ours", kind), median("theirs", kind)
        rows.append(
            (
                f"{label} round trips/s",
                f"{ours[0]:,.0f}",
                f"{theirs[0]:,.0f}",
                f"{ours[0] / theirs[0]:.2f}x",
            )
        )
        rows.append(
            (
                f"{label} p50 / p99 ms",
                f"{ours[1]:.2f} / {ours[2]:.2f}",
                f"{theirs[1]:.2f} / {theirs[2]:.2f}",
                "",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        f"Channels 4-style consumers under daphne, Redis layer, {args.clients} clients, "
        f"{args.duration:g} s per measure, median of {args.rounds} alternating rounds "
        f"({versions})"
    ]
    for row in rows:
        lines.append(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50, help="echo clients")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of echo")
    parser.add_argument("--sockets", type=int, default=1000, help="idle and broadcast sockets")
    parser.add_argument("--rounds", type=int, default=5, help="broadcast rounds")
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379"
    )
    parser.add_argument(
        "--channels4",
        action="store_true",
        help="compare Channels 4-style consumers on this package and on real Channels 4",
    )
    args = parser.parse_args()
    if args.channels4:
        print(compare_channels4(args))
        return
    prefix = new_prefix("websocket")
    env = project_env("redis", prefix, args.redis_url)
    try:
        with stopping([]) as processes:
            for _ in range(2):
                processes.append(start_runworker(env))
            daphne, port = start_daphne(env)
            processes.append(daphne)
            output = asyncio.run(measure(args, daphne, port, prefix))
    finally:
        flush_prefix(prefix, args.redis_url)
    print(output)


if __name__ == "__main__":
    main()
