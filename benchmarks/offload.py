"""Plain sync view vs offloaded view, against an upstream that answers after 50 ms.

Starts, in the same run: the test upstream (``tests/offload/upstream.py``, an asyncio HTTP
server in this process), ``daphne tests.project.asgi:channel_layer`` and ONE
``runworker --threads 1`` over Redis, serving ``tests/offload/site.py``. Then wrk at 32
connections against ``/plain/`` (the worker thread waits on the upstream with urllib) and
``/offloaded/`` (the view calls ``channels.offload.fetch``, the worker's event loop waits),
and prints a table.

Run by hand: ``.venv/bin/python benchmarks/offload.py [seconds per run]`` (needs Redis,
``REDIS_URL`` or ``redis://127.0.0.1:6379``, and wrk: ``apt-get install -y wrk``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from channels.layers.redis import RedisChannelLayer  # noqa: E402
from tests.offload.daphne_process import ProjectDaphne  # noqa: E402
from tests.offload.upstream import Upstream  # noqa: E402
from tests.runworker_process import RunworkerProcess  # noqa: E402

UPSTREAM_MS = 50
CONNECTIONS = 32
CAPACITY = 1000
#: Two threads; a long timeout, so the plain view's queueing shows as latency, not errors.
WRK_OPTIONS = ["wrk", "-t", "2", "--timeout", "30s", "--latency"]


def wrk(url: str, seconds: int) -> dict[str, str]:
    """Run wrk; its requests/s, latency percentiles, and error counts."""
    output = subprocess.run(
        [*WRK_OPTIONS, "-c", str(CONNECTIONS), "-d", f"{seconds}s", url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if found is None:
        raise SystemExit(f"could not read wrk's output:\n{output}")
    result = {"rps": found.group(1)}
    for percentile in ("50", "99"):
        latency = re.search(rf"^\s+{percentile}%\s+(\S+)", output, re.MULTILINE)
        result[f"p{percentile}"] = latency.group(1) if latency else "?"
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    result["errors"] = (
        ", ".join(
            text
            for text in (
                f"{errors.group(1)} non-2xx" if errors else "",
                socket_errors.group(1) if socket_errors else "",
            )
            if text
        )
        or "none"
    )
    return result


def main() -> None:
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get update && apt-get install -y wrk")
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379"
    prefix = f"bench:offload:{uuid.uuid4().hex}:"
    layer = RedisChannelLayer(hosts=[redis_url], prefix=prefix)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    rows = []
    with Upstream() as upstream:
        env = {
            "CHANNELS_TEST_ROUTING": "tests.offload.site.channel_routing",
            "CHANNELS_TEST_URLCONF": "tests.offload.site",
            "CHANNELS_TEST_CAPACITY": str(CAPACITY),
            "CHANNELS_TEST_SETTINGS": json.dumps(
                {"OFFLOAD_TEST_UPSTREAM": upstream.url(""), "OFFLOAD_TEST_DEAD_PORT": dead_port}
            ),
        }
        os.environ.update(env)  # RunworkerProcess passes os.environ on
        worker = RunworkerProcess(
            prefix,
            redis_url,
            *("-v", "1", "--threads", "1", "--max-concurrency", "1000"),
            capacity=CAPACITY,
        )
        try:
            with worker, ProjectDaphne(prefix, redis_url, env) as daphne:
                worker.wait_ready()
                for name, path in (("plain sync view", "/plain/"), ("offloaded", "/offloaded/")):
                    url = f"{daphne.url}{path}?ms={UPSTREAM_MS}"
                    wrk(url, 1)  # warm up: imports, connection pools
                    rows.append((name, wrk(url, seconds)))
                if worker.terminate() != 0:
                    raise SystemExit(f"runworker failed:\n{worker.output}")
        finally:
            layer.flush()
            layer.close()
    print(
        f"upstream answers after {UPSTREAM_MS} ms; wrk -c {CONNECTIONS} for {seconds} s each; "
        "daphne + Redis + ONE runworker with ONE sync thread"
    )
    header = f"{'view':<16}  {'req/s':>8}  {'p50':>9}  {'p99':>9}  errors"
    print(header)
    print("-" * len(header))
    for name, result in rows:
        print(
            f"{name:<16}  {float(result['rps']):>8.1f}  {result['p50']:>9}  {result['p99']:>9}  "
            f"{result['errors']}"
        )


if __name__ == "__main__":
    main()
