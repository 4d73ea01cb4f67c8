"""Sessions for consumers: a session per socket, the browser's HTTP session, and ordering.

``@channel_session``
    ``message.channel_session`` is a Django session keyed by the message's reply channel, so
    every message of one WebSocket finds the same session. Created on first use, saved after
    the consumer when modified (also when it raised). ``CHANNEL_SESSION_ENGINE`` overrides
    ``SESSION_ENGINE``; the signed-cookies engine cannot work (there is no cookie to keep the
    data in) and is refused.
``@http_session``
    ``message.http_session`` is the session of the browser's HTTP session cookie (or of a
    ``session_key`` query parameter), ``None`` without one. Never created here.
``@channel_and_http_session``
    Both; the HTTP session key is kept in the channel session, so messages that carry no
    cookies (``websocket.receive``, ``websocket.disconnect``) still reach the HTTP session.
``@enforce_ordering``
    Messages of one socket run in ``order`` sequence, however many workers there are.

Every decorator works on functions and on consumer methods (the ``Message`` is the first or
the second positional argument) and on ``async def`` consumers: their session I/O then runs
through :func:`asgiref.sync.sync_to_async`, off the event loop.

The session decorators live in :mod:`channels.session_decorators`, ordering in
:mod:`channels.ordering`; this module is where users import them from.
"""

from __future__ import annotations

# Everything the sessions module ever offered stays importable from here (the auth module,
# consumers and tests import the helpers too); __all__ lists the documented names.
from .ordering import (  # noqa: F401
    NEXT_ORDER_KEY,
    enforce_ordering,
    requeue_messages,
    wait_channel_name,
)
from .session_decorators import (  # noqa: F401
    SKIP,
    around,
    channel_and_http_session,
    channel_session,
    channel_session_key,
    find_message,
    http_session,
    http_session_key,
    http_session_store,
    save_channel_session,
    session_engine,
    session_for_reply_channel,
)

__all__ = [
    "channel_and_http_session",
    "channel_session",
    "channel_session_key",
    "enforce_ordering",
    "http_session",
    "http_session_key",
    "requeue_messages",
    "session_for_reply_channel",
    "wait_channel_name",
]

from .scope_sessions import CookieMiddleware, SessionMiddleware, SessionMiddlewareStack  # noqa: F401  # Channels 4 middleware
