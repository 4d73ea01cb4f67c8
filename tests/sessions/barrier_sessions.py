"""A session engine for the concurrent-creation test: file sessions whose ``load()`` waits at
:data:`BARRIER` (when set), so two threads both find the session missing before either
creates it: the race of two workers taking a socket's first two messages at once."""

from __future__ import annotations

import threading
from typing import Any

from django.contrib.sessions.backends.file import SessionStore as FileSessionStore

BARRIER: threading.Barrier | None = None


class SessionStore(FileSessionStore):
    """File sessions, with a rendezvous after each load while :data:`BARRIER` is set."""

    def load(self) -> dict[str, Any]:
        data = super().load()
        if BARRIER is not None:
            BARRIER.wait(10)
        return data
