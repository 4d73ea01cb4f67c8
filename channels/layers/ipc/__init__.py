"""The single-machine IPC channel layer: daphne and workers on one box, no server process.

The store is a SQLite database on a memory-backed filesystem, shared through the kernel and
guarded by a lock the kernel releases when its holder dies (:mod:`.store`); blocked receives
sleep on sockets of their own and are woken by senders (:mod:`.wakeup`); the layer class is
in :mod:`.layer`. Needs nothing beyond the standard library, on Linux.
"""

from .layer import IPCChannelLayer

#: The seeds' ``asgi_ipc.IPCChannelLayer`` name, as a module attribute too.
ChannelLayer = IPCChannelLayer

__all__ = ["ChannelLayer", "IPCChannelLayer"]
