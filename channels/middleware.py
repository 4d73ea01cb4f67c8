"""``BaseMiddleware``: the base of Channels 4-style ASGI middleware.

A middleware wraps an inner application and may add to the scope before calling it::

    class UserAgentMiddleware(BaseMiddleware):
        async def __call__(self, scope, receive, send):
            scope = dict(scope, user_agent=dict(scope["headers"]).get(b"user-agent"))
            return await super().__call__(scope, receive, send)
"""

from __future__ import annotations

from typing import Any


class BaseMiddleware:
    """Calls ``inner`` with a copy of the scope, so additions never leak to outer apps."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        scope = dict(scope)
        return await self.inner(scope, receive, send)


__all__ = ["BaseMiddleware"]
