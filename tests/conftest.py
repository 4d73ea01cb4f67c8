"""Shared fixtures: a Redis server for tests marked ``redis``, and a clean key prefix per test.

Redis comes from ``REDIS_URL`` (default ``redis://127.0.0.1:6379``). When nothing answers
there and ``redis-server`` is installed, a throwaway server is started for the session.
Without Redis, tests marked ``redis`` are skipped on a laptop but fail under CI (the ``CI``
environment variable), so a CI run cannot pass by silently testing nothing.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis

from tests.layers.redis_cluster import LocalCluster, start_or_skip
from tests.layers.redis_servers import RedisServer, answers_ping, redis_server_binary
from tests.processes import children_take_sigint

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379"


def pytest_configure(config: pytest.Config) -> None:
    """Subprocesses must answer Ctrl-C even if this run was started with SIGINT ignored."""
    children_take_sigint()


def running_under_ci() -> bool:
    """True when the ``CI`` environment variable is set to something other than false."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The URL of a Redis server the tests may use (under their own key prefixes only)."""
    url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    if answers_ping(url):
        yield url
        return
    if redis_server_binary() is not None:
        server = RedisServer()
        try:
            server.start()
        except RuntimeError:
            server.cleanup()
        else:
            try:
                yield server.url
            finally:
                server.cleanup()
            return
    reason = (
        f"no Redis answers at {url!r} and redis-server is not on PATH; install redis-server "
        "(apt-get install redis-server) or set REDIS_URL"
    )
    if running_under_ci():
        pytest.fail(f"Redis is required under CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _redis_for_marked_tests(request: pytest.FixtureRequest) -> None:
    """Make every test marked ``redis`` need ``redis_url``, so it skips (or fails) cleanly."""
    if request.node.get_closest_marker("redis") is not None:
        request.getfixturevalue("redis_url")


@pytest.fixture(scope="session")
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A plain redis-py client on ``redis_url``, for inspecting what a layer stored."""
    client = redis.Redis.from_url(redis_url, socket_timeout=10)
    yield client
    client.close()


def keys_under(client: redis.Redis, prefix: str) -> list[bytes]:
    """Every key whose name starts with ``prefix`` (by SCAN, never KEYS)."""
    pattern = "".join("\\" + char if char in "*?[]\\" else char for char in prefix) + "*"
    return sorted(client.scan_iter(match=pattern, count=1000))


def delete_keys_under(client: redis.Redis, prefix: str) -> int:
    """Delete every key under ``prefix`` (never FLUSHALL); return how many there were."""
    keys = keys_under(client, prefix)
    for start in range(0, len(keys), 500):
        client.unlink(*keys[start : start + 500])
    return len(keys)


@pytest.fixture
def redis_prefix(redis_client: redis.Redis) -> Iterator[str]:
    """A key prefix no other test uses; every key under it is deleted after the test."""
    prefix = f"test:{uuid.uuid4().hex}:"
    yield prefix
    delete_keys_under(redis_client, prefix)


@pytest.fixture
def leftover_keys(redis_client: redis.Redis, redis_prefix: str) -> Callable[[], list[bytes]]:
    """Call it to list the keys still stored under this test's ``redis_prefix``."""
    return lambda: keys_under(redis_client, redis_prefix)


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[LocalCluster]:
    """A Redis Cluster (3 primaries, 3 replicas) for the session's tests that do not break it;
    skipped without redis-server, failing under CI."""
    cluster = start_or_skip()
    yield cluster
    cluster.stop()


_DB_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


@pytest.fixture(autouse=True)
def _no_connection_cleanup_without_db(request: pytest.FixtureRequest) -> Iterator[None]:
    """Keep ``close_old_connections`` off the request and consumer signals in tests that
    may not use the database, as Django's own test client does around its requests.

    Otherwise, once a database test has run, the test database's connection stays open in
    the main thread (in-memory SQLite ignores close), and a later test that fires those
    signals in its own thread would touch it and be refused by pytest-django. Workers in
    threads and subprocesses are unaffected: their connections are their own.
    """
    uses_db = request.node.get_closest_marker("django_db") or _DB_FIXTURES & set(
        request.fixturenames
    )
    if uses_db:
        yield
        return
    from django.core import signals as django_signals
    from django.db import close_old_connections

    from channels import signals as channels_signals

    hooks = [
        (django_signals.request_started, None),
        (django_signals.request_finished, None),
        (channels_signals.consumer_started, "channels.close_old_connections"),
        (channels_signals.consumer_finished, "channels.close_old_connections"),
    ]
    removed = [
        (signal, uid)
        for signal, uid in hooks
        if signal.disconnect(close_old_connections if uid is None else None, dispatch_uid=uid)
    ]
    try:
        yield
    finally:
        for signal, uid in removed:
            signal.connect(close_old_connections, dispatch_uid=uid)
