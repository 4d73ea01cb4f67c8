"""Signals sent around consumers and workers.

``consumer_started`` and ``consumer_finished`` bracket every consumer a worker runs, in the
thread that runs a sync consumer (for an ``async def`` consumer they are sent through
``asgiref.sync.sync_to_async``, as Django does for ``request_started``/``request_finished`` in
async views). Database connections are handled as Django handles them per request:
``close_old_connections`` runs on both, so a worker never keeps a broken or over-age
connection from one message to the next.

``worker_ready`` is sent by each :class:`~channels.worker.Worker` when it starts receiving
(sender: the worker); ``worker_process_ready`` once per ``runworker`` process before that.
"""

from __future__ import annotations

from django.db import close_old_connections
from django.dispatch import Signal

#: Sent before a consumer runs; ``sender`` is the worker class, ``environ`` an empty dict (1.x).
consumer_started = Signal()
#: Sent after a consumer returned or raised; pending sends are flushed when this is sent.
consumer_finished = Signal()
#: Sent by a worker when it is about to start receiving; ``sender`` is the worker.
worker_ready = Signal()
#: Sent once by ``runworker`` before its worker starts; ``sender`` is the worker.
worker_process_ready = Signal()

consumer_started.connect(close_old_connections, dispatch_uid="channels.close_old_connections")
consumer_finished.connect(close_old_connections, dispatch_uid="channels.close_old_connections")

__all__ = ["consumer_finished", "consumer_started", "worker_process_ready", "worker_ready"]
