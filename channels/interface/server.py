"""Running daphne in this process, for ``manage.py runserver`` and live-server tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def serve(
    application: Callable[..., Any],
    *,
    host: str,
    port: int,
    signal_handlers: bool,
    root_path: str = "",
    websocket_handshake_timeout: float = 10.0,
    verbosity: int = 1,
    ready: Callable[[list[tuple[str, int]]], None] | None = None,
    action_logger: Callable[[str, str, dict[str, Any]], None] | None = None,
) -> None:
    """Serve ``application`` with daphne on ``host``:``port`` until the reactor stops.

    WebSocket scopes list the ``websocket.http.response`` extension: an application may
    refuse a handshake with a response of its own (:mod:`channels.interface.denial`).

    ``ready`` is called with the bound ``(host, port)`` addresses once daphne listens (so a
    caller that asked for port 0 learns the real one); ``action_logger`` is daphne's access
    log hook (protocol, action, details). Daphne installs Twisted's asyncio
    reactor when imported, so these imports happen here, not at module level.
    """
    from daphne.endpoints import build_endpoint_description_strings

    from .denial import DenialServer

    class AnnouncingServer(DenialServer):
        def listen_success(self, port: Any) -> None:
            super().listen_success(port)
            if ready is not None:
                ready(list(self.listening_addresses))

    server = AnnouncingServer(
        application=application,
        endpoints=build_endpoint_description_strings(host=host, port=port),
        signal_handlers=signal_handlers,
        root_path=root_path,
        # The bridge times out the consumer's answer itself; daphne's own handshake
        # timeout must outlast it.
        websocket_handshake_timeout=websocket_handshake_timeout,
        verbosity=verbosity,
        # The bridge answers 503 itself when no worker replies in time.
        http_timeout=None,
        action_logger=action_logger,
    )
    server.run()
