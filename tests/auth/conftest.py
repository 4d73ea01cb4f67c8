"""The session tests' fixtures (see tests/session_fixtures.py)."""

from tests.session_fixtures import cache_sessions, layer

__all__ = ["cache_sessions", "layer"]
