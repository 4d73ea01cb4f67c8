"""How fast one ``runworker`` process runs consumers over Redis.

Starts a real ``python -m django runworker`` (the test project, ``tests/project``) on a
Redis key prefix of its own, plays the sender from this process, and prints a table:

* messages per second through a trivial sync consumer (1 thread) and a trivial async one;
* how long 1,000 async consumers that each await 50 ms take on one worker.

Each consumer sends one reply, so a message counts once its reply arrived here.
Run by hand: ``.venv/bin/python benchmarks/worker.py`` (needs Redis; ``REDIS_URL`` or
``redis://127.0.0.1:6379``).
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from channels.exceptions import ChannelFull  # noqa: E402
from channels.layers.redis import RedisChannelLayer  # noqa: E402
from tests.runworker_process import RunworkerProcess  # noqa: E402

MESSAGES = 5000
SLEEPERS = 1000


def run(layer: Any, channel: str, count: int, **content: Any) -> float:
    """Send ``count`` messages to ``channel`` (from a thread, so sending does not slow down
    reading); seconds until every reply came back."""
    notify = layer.new_channel("bench.reply!")
    prefix = notify[: notify.index("!") + 1]
    deadline = time.monotonic() + 120
    failures: list[BaseException] = []

    def send_all() -> None:
        try:
            sent = 0
            while sent < count and time.monotonic() < deadline:
                try:
                    layer.send(channel, {"notify": notify, "n": sent, **content})
                except ChannelFull:
                    time.sleep(0.001)  # a backoff: the worker drains the channel
                    continue
                sent += 1
        except BaseException as exc:
            failures.append(exc)

    started = time.monotonic()
    sender = threading.Thread(target=send_all, daemon=True)
    sender.start()
    received = 0
    while received < count:
        if failures:
            raise SystemExit(f"sending failed: {failures[0]!r}")
        if time.monotonic() > deadline:
            raise SystemExit(f"only {received} of {count} replies arrived within 120 s")
        name, _ = layer.receive([prefix], block=True, timeout=5)
        if name is not None:
            received += 1
    elapsed = time.monotonic() - started
    sender.join(10)
    return elapsed


def main() -> None:
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379"
    prefix = f"bench:worker:{uuid.uuid4().hex}:"
    layer = RedisChannelLayer(hosts=[redis_url], prefix=prefix, capacity=20_000)
    rows: list[tuple[str, str]] = []
    try:
        with RunworkerProcess(
            prefix,
            redis_url,
            "-v",
            "1",
            "--only-channels",
            "bench.*",
            "--only-channels",
            "async.sleep",
            "--max-concurrency",
            str(SLEEPERS),
            capacity=20_000,
        ) as worker:
            worker.wait_ready()
            run(layer, "bench.sync", 200)  # warm up: imports, connections
            run(layer, "bench.async", 200)
            seconds = run(layer, "bench.sync", MESSAGES)
            rows.append(("trivial sync consumer, 1 thread", f"{MESSAGES / seconds:,.0f} msg/s"))
            seconds = run(layer, "bench.async", MESSAGES)
            rows.append(("trivial async consumer", f"{MESSAGES / seconds:,.0f} msg/s"))
            seconds = run(layer, "async.sleep", SLEEPERS, seconds=0.05)
            rows.append((f"{SLEEPERS:,} async consumers awaiting 50 ms", f"{seconds:.3f} s"))
            if worker.terminate() != 0:
                raise SystemExit(f"runworker failed:\n{worker.output}")
    finally:
        layer.flush()
        layer.close()
    width = max(len(name) for name, _ in rows)
    print(f"{'one runworker process over Redis':<{width}}  result")
    print(f"{'-' * width}  {'-' * 14}")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
