"""A real ``python -m django runworker`` process on the Redis layer, for end-to-end tests and
the benchmark. The test side plays interface server through its own RedisChannelLayer on the
same prefix."""

from __future__ import annotations

import os

from tests.processes import ROOT, ManageProcess

#: Printed by the worker once it is receiving.
READY_LINE = "worker listening on"


class RunworkerProcess(ManageProcess):
    """``runworker *args`` of the test project on Redis ``prefix``."""

    def __init__(self, prefix: str, redis_url: str, *args: str, capacity: int = 100) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "tests.project.settings",
            "CHANNELS_TEST_LAYER": "redis",
            "CHANNELS_TEST_REDIS_PREFIX": prefix,
            "CHANNELS_TEST_CAPACITY": str(capacity),
            "REDIS_URL": redis_url,
            "PYTHONUNBUFFERED": "1",
        }
        super().__init__(env, "runworker", *args)

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until the worker is receiving."""
        self.wait_for_line(READY_LINE, timeout)

    def terminate(self, timeout: float = 40.0) -> int:
        """SIGTERM, then wait for the exit code."""
        return super().terminate(timeout)
