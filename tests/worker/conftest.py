"""Fixtures shared with the other worker-side tests (see tests/workers.py)."""

from tests.workers import wrapper

__all__ = ["wrapper"]
