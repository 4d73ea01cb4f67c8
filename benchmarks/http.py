"""Hello-world HTTP through channels, side by side with plain Django under gunicorn.

    .venv/bin/python benchmarks/http.py [--duration 10] [--redis-url redis://127.0.0.1:6379]
                                        [--no-runserver]

Serves one view (``benchmarks/project``: ``HttpResponse("Hello, world!")`` behind Django's
common middleware) three ways, one after the other on the same machine, and loads each with
``wrk --latency`` at 1 and at 32 connections:

* **gunicorn**: the WSGI app, 2 sync workers (the baseline);
* **channels**: ``daphne benchmarks.project.asgi:channel_layer`` (the bridge) + Redis + 2
  ``runworker`` processes (1 thread each): the deployment the docs describe;
* **channels ipc**: the same, on the single-machine IPC layer instead of Redis;
* **runserver**: ``manage.py runserver --noreload``: daphne, the bridge and 4 worker threads
  in one process on the in-memory layer (skip with ``--no-runserver``).

Prints requests/s and p50/p99 latency per server, and channels' figures as a share of
gunicorn's. Needs ``wrk`` (Debian/Ubuntu: ``apt-get install wrk``; macOS: ``brew install
wrk``), gunicorn (``pip install gunicorn``) and Redis. Every process it starts is stopped and
its Redis keys deleted at the end.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and this file is named like
# the standard library's ``http`` package, which Django imports: put the project root there.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402

from benchmarks.project.servers import (  # noqa: E402
    Process,
    flush_ipc_store,
    flush_prefix,
    new_prefix,
    project_env,
    start_daphne,
    start_gunicorn,
    start_runserver,
    start_runworker,
    stopping,
)

PATH = "/hello/"
CONNECTIONS = (1, 32)
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass
class Result:
    """One wrk run: requests per second, latency percentiles (ms), errors."""

    rate: float
    p50: float
    p99: float
    errors: int


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def wrk(url: str, connections: int, seconds: float) -> Result:
    """Load ``url`` with wrk for ``seconds`` at ``connections`` connections."""
    threads = min(connections, 2)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    out = done.stdout
    if done.returncode != 0 or "Requests/sec" not in out:
        raise SystemExit(f"wrk failed ({' '.join(command)}):\n{out}{done.stderr}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    errors = 0
    for found in re.finditer(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out):
        if found.group(1):
            errors += int(found.group(1))
        else:
            errors += sum(int(n) for n in re.findall(r"\d+", found.group(2)))
    return Result(rate, p50, p99, errors)


def measure(port: int, seconds: float, warmup: float) -> dict[int, Result]:
    url = f"http://127.0.0.1:{port}{PATH}"
    wrk(url, 4, warmup)  # imports, connections, caches
    return {connections: wrk(url, connections, seconds) for connections in CONNECTIONS}


def run_gunicorn(seconds: float, warmup: float) -> dict[int, Result]:
    with stopping([]) as processes:
        server, port = start_gunicorn(project_env("inmemory"))
        processes.append(server)
        return measure(port, seconds, warmup)


def run_channels(
    seconds: float, warmup: float, redis_url: str, layer: str = "redis"
) -> dict[int, Result]:
    """daphne + 2 runworker on ``layer``: ``redis`` or ``ipc`` (one machine, no server)."""
    if layer == "ipc":
        prefix = f"bench-http-{uuid.uuid4().hex[:12]}"
        env = project_env("ipc", prefix)
    else:
        prefix = new_prefix("http")
        env = project_env("redis", prefix, redis_url)
    try:
        with stopping([]) as processes:
            for _ in range(2):
                processes.append(start_runworker(env))
            daphne, port = start_daphne(env)
            processes.append(daphne)
            return measure(port, seconds, warmup)
    finally:
        if layer == "ipc":
            flush_ipc_store(prefix)
        else:
            flush_prefix(prefix, redis_url)


def run_runserver(seconds: float, warmup: float) -> dict[int, Result]:
    with stopping([]) as processes:
        server: Process
        server, port = start_runserver(project_env("inmemory"))
        processes.append(server)
        return measure(port, seconds, warmup)


def median_results(results: list[dict[int, Result]]) -> dict[int, Result]:
    """Per connection count, the median of each figure over the rounds."""
    return {
        connections: Result(
            statistics.median(r[connections].rate for r in results),
            statistics.median(r[connections].p50 for r in results),
            statistics.median(r[connections].p99 for r in results),
            max(r[connections].errors for r in results),
        )
        for connections in CONNECTIONS
    }


def table(columns: dict[str, dict[int, Result]]) -> str:
    names = list(columns)
    base = columns.get("gunicorn")
    rows: list[list[str]] = [["hello world", *names]]
    for connections in CONNECTIONS:
        results = [columns[name][connections] for name in names]
        rows.append([f"requests/s, {connections} conn", *(f"{r.rate:,.0f}" for r in results)])
        rows.append([f"p50 ms, {connections} conn", *(f"{r.p50:.2f}" for r in results)])
        rows.append([f"p99 ms, {connections} conn", *(f"{r.p99:.2f}" for r in results)])
        if any(r.errors for r in results):
            rows.append([f"errors, {connections} conn", *(str(r.errors) for r in results)])
    if base is not None and "channels" in columns:
        ours = columns["channels"]
        share = ours[32].rate / base[32].rate
        ratio = ours[1].p50 / base[1].p50
        rows.append([])
        rows.append(["channels req/s / gunicorn's, 32 conn", f"{share:.0%}"])
        rows.append(["  aim", ">= 25%"])
        rows.append(["channels p50 / gunicorn's, 1 conn", f"{ratio:.1f}x"])
        rows.append(["  aim", "< 4x"])
    widths = [max(len(row[i]) for row in rows if len(row) > i) for i in range(len(names) + 1)]
    lines = []
    for number, row in enumerate(rows):
        cells = [
            f"{cell:<{widths[0]}}" if i == 0 else f"{cell:>{widths[i]}}"
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up load")
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379"
    )
    parser.add_argument("--repeat", type=int, default=3, help="rounds (median is shown)")
    parser.add_argument("--no-runserver", action="store_true", help="skip the runserver column")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit(
            "wrk is not installed. Debian/Ubuntu: apt-get install wrk; macOS: brew install wrk; "
            "or build it from https://github.com/wg/wrk"
        )
    runs: dict[str, Callable[[], dict[int, Result]]] = {
        "gunicorn": lambda: run_gunicorn(args.duration, args.warmup),
        "channels": lambda: run_channels(args.duration, args.warmup, args.redis_url),
        "channels ipc": lambda: run_channels(args.duration, args.warmup, args.redis_url, "ipc"),
    }
    if not args.no_runserver:
        runs["runserver"] = lambda: run_runserver(args.duration, args.warmup)
    # Servers take turns, round after round, so a burst of load from elsewhere on the
    # machine lands on all of them; each cell is the median over the rounds.
    samples: dict[str, list[dict[int, Result]]] = {name: [] for name in runs}
    for number in range(args.repeat):
        for name, run in runs.items():
            print(f"round {number + 1}/{args.repeat}: {name}...", file=sys.stderr, flush=True)
            samples[name].append(run())
    columns = {name: median_results(results) for name, results in samples.items()}
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"GET {PATH} with wrk, {args.duration:g} s per run, median of {args.repeat} rounds; "
        f"load average at the end: {load}\ngunicorn: 2 sync workers; channels: daphne + Redis + "
        "2 runworker (1 thread each); channels ipc: the same on the IPC layer; runserver: "
        "in-memory layer, 4 worker threads"
    )
    print(table(columns))


if __name__ == "__main__":
    main()
