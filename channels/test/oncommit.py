"""Running a test's on-commit callbacks, which a Django ``TestCase`` never commits.

Django's ``TestCase`` runs every test inside a transaction that is rolled back, so
``transaction.on_commit()`` callbacks registered during the test never run. Data bindings
send their frames from such callbacks (a rolled-back change must send nothing), so a 1.x
binding test (change a model, then ``client.receive()`` the frame) would see nothing.

:class:`~channels.test.ChannelTestCase` therefore runs the callbacks its test registers, as
Django's ``captureOnCommitCallbacks(execute=True)`` does, but without waiting for a block to
end: whenever the test tools look at a channel layer, the callbacks registered since are run
first. That is

* when a consumer run by ``Client.consume()`` (or ``send_and_consume()``) returns, before
  its held sends go out, as its callbacks would run at once under a worker in autocommit;
* before ``Client.receive()``, ``Client.get_next_message()`` and the test case's
  ``get_next_message()`` read;
* at the end of the test, after ``tearDown``.

Callbacks of a savepoint that rolled back (an ``atomic()`` block that raised) are discarded
by Django before they can run, as in production. ``robust`` callbacks that raise are logged;
others raise into the test. Production code is unchanged: there, callbacks run on commit.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
from collections.abc import Iterator
from typing import Any

from django.db import connections

logger = logging.getLogger("channels.test")

_active: contextvars.ContextVar[CommitCallbacks | None] = contextvars.ContextVar(
    "channels_test_commit_callbacks", default=None
)


class CommitCallbacks:
    """The on-commit callbacks registered in one thread from its creation on; see
    :func:`run_commit_callbacks`."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()
        # Entries already there (setUpTestData's) are not the test's: they are left alone,
        # as captureOnCommitCallbacks leaves them. Entries are kept, not only their ids, so
        # that an id is never reused for a new entry while this object lives.
        self.seen: dict[int, Any] = {id(entry): entry for entry in self._entries()}

    @staticmethod
    def _entries() -> Iterator[Any]:
        for connection in connections.all(initialized_only=True):
            yield from connection.run_on_commit

    def run(self) -> int:
        """Run the callbacks registered since the last run (and those they register);
        return how many ran. Does nothing in another thread: connections are per thread."""
        if threading.get_ident() != self.thread:
            return 0
        ran = 0
        while True:
            pending = [entry for entry in self._entries() if id(entry) not in self.seen]
            if not pending:
                return ran
            for entry in pending:
                self.seen[id(entry)] = entry
                _savepoints, callback, robust = entry
                ran += 1
                if not robust:
                    callback()
                    continue
                try:
                    callback()
                except Exception:
                    logger.error(
                        "error calling %s in on_commit()",
                        getattr(callback, "__qualname__", callback),
                        exc_info=True,
                    )


def run_commit_callbacks() -> int:
    """Run the on-commit callbacks the running ``ChannelTestCase`` test registered since
    the last call; a no-op (0) outside one. The test tools call it before they look."""
    active = _active.get()
    return 0 if active is None else active.run()


@contextlib.contextmanager
def running_commit_callbacks() -> Iterator[CommitCallbacks]:
    """Inside the block, :func:`run_commit_callbacks` runs the callbacks registered in it."""
    callbacks = CommitCallbacks()
    token = _active.set(callbacks)
    try:
        yield callbacks
    finally:
        _active.reset(token)


__all__ = ["CommitCallbacks", "run_commit_callbacks", "running_commit_callbacks"]
