"""HTTP through channels, side by side with plain Django under gunicorn (and Channels 4).

    .venv/bin/python benchmarks/http.py [--duration 10] [--repeat 3] [--no-runserver]
                                        [--channels4] [--worker-threads N]
                                        [--redis-url redis://127.0.0.1:6379]

Serves two views of ``benchmarks/project`` behind Django's common middleware: ``/hello/``
(``HttpResponse("Hello, world!")``: the cost of the server and the framework) and ``/wait/``
(a sync view that sleeps 50 ms, standing for a database query or an API call: how many such
waits the server overlaps). Each server is loaded with ``wrk --latency``: hello at 1 and at
32 connections, the 50 ms view at 32. The servers, one after the other on the same machine:

* **gunicorn**: the WSGI app, 2 sync workers (the baseline);
* **channels**: ``daphne benchmarks.project.asgi:channel_layer`` (the bridge) + Redis + 2
  ``runworker`` processes on default settings: the deployment the docs describe
  (``--worker-threads N`` passes ``--threads N`` to the workers);
* **channels ipc**: the same, on the single-machine IPC layer instead of Redis;
* **runserver**: ``manage.py runserver --noreload``: daphne, the bridge and the worker
  threads in one process on the in-memory layer (skip with ``--no-runserver``);
* **channels 4** (with ``--channels4``): real Channels 4 + daphne serving the same two views
  through Django's ASGI handler (``benchmarks/channels4_project``, in a virtualenv of its own:
  see ``benchmarks/channels4.py``).

Prints requests/s and p50/p99 latency per server, then ours ÷ each peer. Needs ``wrk``
(Debian/Ubuntu: ``apt-get install wrk``; macOS: ``brew install wrk``), gunicorn (``pip
install gunicorn``) and Redis. Every process it starts is stopped and its Redis keys deleted
at the end.
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

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass(frozen=True)
class Load:
    """One wrk load: a view (by name, its path on our project) at a number of connections."""

    view: str
    path: str
    connections: int

    @property
    def label(self) -> str:
        return f"{self.view}, {self.connections} conn"


HELLO_1 = Load("hello", "/hello/", 1)
HELLO_32 = Load("hello", "/hello/", 32)
WAIT_32 = Load("50 ms view", "/wait/", 32)
LOADS = (HELLO_1, HELLO_32, WAIT_32)
#: Where the Channels 4 project serves the same views (Django's ASGI handler under /django/).
CHANNELS4_PATHS = {"/hello/": "/django/hello/", "/wait/": "/django/wait/"}


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


def measure(
    port: int, seconds: float, warmup: float, paths: dict[str, str] | None = None
) -> dict[Load, Result]:
    """Every load of :data:`LOADS` on the server at ``port``; ``paths`` maps our paths to
    the server's own."""
    paths = paths or {}
    for path in dict.fromkeys(load.path for load in LOADS):
        wrk(f"http://127.0.0.1:{port}{paths.get(path, path)}", 4, warmup)  # imports, caches
    return {
        load: wrk(
            f"http://127.0.0.1:{port}{paths.get(load.path, load.path)}", load.connections, seconds
        )
        for load in LOADS
    }


def run_gunicorn(seconds: float, warmup: float) -> dict[Load, Result]:
    with stopping([]) as processes:
        server, port = start_gunicorn(project_env("inmemory"))
        processes.append(server)
        return measure(port, seconds, warmup)


def run_channels(
    seconds: float,
    warmup: float,
    redis_url: str,
    layer: str = "redis",
    worker_args: tuple[str, ...] = (),
) -> dict[Load, Result]:
    """daphne + 2 runworker (given ``worker_args``) on ``layer``: ``redis`` or ``ipc`` (one
    machine, no server)."""
    if layer == "ipc":
        prefix = f"bench-http-{uuid.uuid4().hex[:12]}"
        env = project_env("ipc", prefix)
    else:
        prefix = new_prefix("http")
        env = project_env("redis", prefix, redis_url)
    try:
        with stopping([]) as processes:
            for _ in range(2):
                processes.append(start_runworker(env, *worker_args))
            daphne, port = start_daphne(env)
            processes.append(daphne)
            return measure(port, seconds, warmup)
    finally:
        if layer == "ipc":
            flush_ipc_store(prefix)
        else:
            flush_prefix(prefix, redis_url)


def run_runserver(seconds: float, warmup: float) -> dict[Load, Result]:
    with stopping([]) as processes:
        server: Process
        server, port = start_runserver(project_env("inmemory"))
        processes.append(server)
        return measure(port, seconds, warmup)


def run_channels4(seconds: float, warmup: float, redis_url: str, venv: Path) -> dict[Load, Result]:
    """Channels 4's daphne serving the same views through Django's ASGI handler."""
    from benchmarks import channels4

    prefix = new_prefix("http-channels4")
    try:
        with stopping([]) as processes:
            server, port = channels4.start_channels4(venv, prefix, redis_url)
            processes.append(server)
            return measure(port, seconds, warmup, CHANNELS4_PATHS)
    finally:
        flush_prefix(prefix, redis_url)


def median_results(results: list[dict[Load, Result]]) -> dict[Load, Result]:
    """Per load, the median of each figure over the rounds."""
    return {
        load: Result(
            statistics.median(r[load].rate for r in results),
            statistics.median(r[load].p50 for r in results),
            statistics.median(r[load].p99 for r in results),
            max(r[load].errors for r in results),
        )
        for load in LOADS
    }


def table(columns: dict[str, dict[Load, Result]]) -> str:
    names = list(columns)
    rows: list[list[str]] = [["", *names]]
    for load in LOADS:
        results = [columns[name][load] for name in names]
        rows.append([f"{load.label}: requests/s", *(f"{r.rate:,.0f}" for r in results)])
        rows.append([f"{load.label}: p50 ms", *(f"{r.p50:.2f}" for r in results)])
        rows.append([f"{load.label}: p99 ms", *(f"{r.p99:.2f}" for r in results)])
        if any(r.errors for r in results):
            rows.append([f"{load.label}: errors", *(str(r.errors) for r in results)])
    ours = columns.get("channels")
    peers = [name for name in ("gunicorn", "channels 4") if name in columns]
    if ours is not None and peers:
        rows.append([])
        rows.append(["channels ÷ peer", *peers])
        for load in LOADS:
            rates = [ours[load].rate / columns[peer][load].rate for peer in peers]
            rows.append([f"{load.label}: requests/s", *(f"{rate:.2f}" for rate in rates)])
        p50s = [ours[HELLO_1].p50 / columns[peer][HELLO_1].p50 for peer in peers]
        rows.append([f"{HELLO_1.label}: p50", *(f"{ratio:.2f}" for ratio in p50s)])
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
    parser.add_argument(
        "--channels4", action="store_true", help="add real Channels 4 (own virtualenv)"
    )
    parser.add_argument(
        "--worker-threads", type=int, help="runworker --threads (default: runworker's own)"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit(
            "wrk is not installed. Debian/Ubuntu: apt-get install wrk; macOS: brew install wrk; "
            "or build it from https://github.com/wg/wrk"
        )
    from channels.worker import DEFAULT_THREADS

    threads = args.worker_threads or DEFAULT_THREADS
    worker_args = ("--threads", str(threads)) if args.worker_threads else ()
    runs: dict[str, Callable[[], dict[Load, Result]]] = {
        "gunicorn": lambda: run_gunicorn(args.duration, args.warmup),
        "channels": lambda: run_channels(
            args.duration, args.warmup, args.redis_url, worker_args=worker_args
        ),
        "channels ipc": lambda: run_channels(
            args.duration, args.warmup, args.redis_url, "ipc", worker_args
        ),
    }
    if not args.no_runserver:
        runs["runserver"] = lambda: run_runserver(args.duration, args.warmup)
    versions = ""
    if args.channels4:
        from benchmarks import channels4

        venv, versions = channels4.ensure_channels4()
        runs["channels 4"] = lambda: run_channels4(args.duration, args.warmup, args.redis_url, venv)
    # Servers take turns, round after round, so a burst of load from elsewhere on the
    # machine lands on all of them; each cell is the median over the rounds.
    samples: dict[str, list[dict[Load, Result]]] = {name: [] for name in runs}
    for number in range(args.repeat):
        for name, run in runs.items():
            print(f"round {number + 1}/{args.repeat}: {name}...", file=sys.stderr, flush=True)
            samples[name].append(run())
    columns = {name: median_results(results) for name, results in samples.items()}
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"wrk, {args.duration:g} s per run, median of {args.repeat} rounds; {os.cpu_count()} "
        f"cores, load average at the end: {load}\n"
        "hello: GET /hello/; 50 ms view: GET /wait/ (a sync view sleeping 50 ms)\n"
        f"gunicorn: 2 sync workers; channels: daphne + Redis + 2 runworker ({threads} threads "
        f"each); channels ipc: the same on the IPC layer; runserver: in-memory layer, "
        f"{DEFAULT_THREADS} worker threads"
        + (f"; channels 4: daphne + Django's ASGI handler ({versions})" if versions else "")
    )
    print(table(columns))


if __name__ == "__main__":
    main()
