"""The interface side: the ASGI bridge that puts HTTP and WebSocket connections onto a
channel layer, and the in-process server runner ``runserver`` uses.

Nothing here imports Django.
"""

from .bridge import Bridge

__all__ = ["Bridge"]
