"""``database_sync_to_async``: run sync Django ORM code from async code, as Channels 4 does.

Like ``asgiref.sync.sync_to_async`` (thread-sensitive by default), plus Django's
``close_old_connections()`` before and after the call, so a long-lived consumer never keeps
using a database connection past ``CONN_MAX_AGE`` or after the server closed it::

    from channels.db import database_sync_to_async

    @database_sync_to_async
    def get_name(pk):
        return User.objects.get(pk=pk).username

    name = await get_name(1)
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import SyncToAsync
from django.db import close_old_connections


class DatabaseSyncToAsync(SyncToAsync):  # type: ignore[type-arg]
    """``SyncToAsync`` that closes stale database connections around the call."""

    def thread_handler(self, loop: Any, *args: Any, **kwargs: Any) -> Any:
        close_old_connections()
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            close_old_connections()


#: Decorator and function: ``database_sync_to_async(func)`` or ``@database_sync_to_async``.
database_sync_to_async = DatabaseSyncToAsync

__all__ = ["DatabaseSyncToAsync", "database_sync_to_async"]
