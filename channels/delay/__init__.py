"""Delayed messages: the ``asgi.delay`` protocol, stored in the database, sent by ``rundelay``.

Add ``"channels.delay"`` to ``INSTALLED_APPS``, run ``manage.py migrate`` and
``manage.py rundelay`` beside your workers, then::

    Channel("reminders").send({"id": 3}, delay=30)       # seconds, from Django code

or, from anywhere that can reach the layer, the wire form::

    layer.send("asgi.delay", {"channel": "reminders", "delay": 30_000, "content": {"id": 3}})

``delay`` on the wire is in milliseconds. This module imports nothing from Django, so the
names below are safe to import anywhere.
"""

from __future__ import annotations

#: The channel the delay server receives on.
DELAY_CHANNEL = "asgi.delay"

#: How long a due message that met ``ChannelFull`` waits before the next try, in ms.
DEFAULT_REQUEUE_DELAY = 1000

__all__ = ["DEFAULT_REQUEUE_DELAY", "DELAY_CHANNEL"]
