"""The daemon thread pool runserver's worker uses for sync consumers."""

from __future__ import annotations

import threading

import pytest

from channels.threadpool import DaemonThreadPool


def test_daemon_pool_runs_work_and_reports_results_and_errors() -> None:
    pool = DaemonThreadPool(2)
    try:
        assert pool.submit(lambda a, b: a + b, 2, b=3).result(5) == 5
        with pytest.raises(ZeroDivisionError):
            pool.submit(lambda: 1 / 0).result(5)
        assert all(thread.daemon for thread in pool._threads)
    finally:
        pool.shutdown()


def test_daemon_pool_shutdown_cancels_queued_work_and_refuses_more() -> None:
    pool = DaemonThreadPool(1)
    started, release = threading.Event(), threading.Event()

    def blocker() -> bool:
        started.set()
        return release.wait(5)

    running = pool.submit(blocker)
    assert started.wait(5)
    queued = pool.submit(lambda: "never")
    pool.shutdown(wait=False, cancel_futures=True)
    release.set()
    assert running.result(5) is True
    assert queued.cancelled()
    with pytest.raises(RuntimeError, match="shut down"):
        pool.submit(lambda: None)
