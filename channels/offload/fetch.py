"""``fetch``: a view has an async consumer fetch a URL and relay the response.

::

    from channels.offload import fetch

    def profile(request):
        return fetch(request, f"https://api.example.com/users/{request.user.pk}")

The view's worker thread is free as soon as ``fetch`` has sent its message; the
``channels.offload.fetch`` consumer (:mod:`channels.offload.proxy`) does the request and
streams the upstream's status, headers and body to the browser.
"""

from __future__ import annotations

import math
from typing import Any

from .handoff import offload
from .headers import drop_hop_by_hop, normalise_headers

#: The channel the fetch consumer listens on.
FETCH_CHANNEL = "channels.offload.fetch"
#: Seconds a fetch waits for the upstream by default (see :func:`fetch`).
DEFAULT_FETCH_TIMEOUT = 30.0


def check_timeout(timeout: Any, what: str) -> float:
    """``timeout`` as a positive finite float, or a ``TypeError``/``ValueError`` naming it."""
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError(f"{what} timeout must be a number of seconds, got {timeout!r}")
    if not (timeout > 0 and math.isfinite(timeout)):
        raise ValueError(f"{what} timeout must be a positive number of seconds, got {timeout!r}")
    return float(timeout)


def fetch_payload(
    url: str,
    method: str = "GET",
    headers: Any = None,
    body: bytes | str | None = None,
    timeout: float = DEFAULT_FETCH_TIMEOUT,
    follow_redirects: bool = False,
) -> dict[str, Any]:
    """The checked message :func:`fetch` sends (without ``reply_channel``)."""
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        raise ValueError(f"fetch needs an absolute http:// or https:// URL, got {url!r}")
    if not isinstance(method, str) or not method.isalpha():
        raise ValueError(f"fetch method must be an HTTP method name like 'GET', got {method!r}")
    if isinstance(body, str):
        body = body.encode("utf-8")
    if body is not None and not isinstance(body, bytes):
        raise TypeError(f"fetch body must be bytes, str or None, got {type(body).__name__}")
    return {
        "url": url,
        "method": method.upper(),
        "headers": drop_hop_by_hop(normalise_headers(headers)),
        "body": body or b"",
        "timeout": check_timeout(timeout, "fetch"),
        "follow_redirects": bool(follow_redirects),
    }


def fetch(
    request: Any,
    url: str,
    method: str = "GET",
    headers: Any = None,
    body: bytes | str | None = None,
    timeout: float = DEFAULT_FETCH_TIMEOUT,
    follow_redirects: bool = False,
) -> None:
    """Answer ``request`` with the response of ``method url``, fetched by an async consumer.

    ``headers`` (a dict or ``(name, value)`` pairs) and ``body`` (bytes, or str sent as
    UTF-8) are sent upstream as given, minus hop-by-hop headers; nothing of the browser's
    request is forwarded unless you pass it. The upstream's status, headers (minus hop-by-hop
    ones) and body come back to the browser, the body streamed as it arrives.

    ``timeout`` seconds bound the wait for the upstream's response headers and every gap
    between body chunks. Failing to reach the upstream answers 502, running out of time
    504, each with a plain-text body saying so. Redirects are passed to the browser unless
    ``follow_redirects``.

    In a view this never returns (it raises ``ResponseLater``); with the ``Message`` of an
    ``http.request`` consumer it returns once the work is handed over.
    """
    offload(
        request,
        FETCH_CHANNEL,
        fetch_payload(url, method, headers, body, timeout, follow_redirects),
    )


__all__ = ["DEFAULT_FETCH_TIMEOUT", "FETCH_CHANNEL", "fetch", "fetch_payload"]
