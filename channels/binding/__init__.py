"""Data binding: model changes pushed to groups of sockets, and clients' changes applied.

::

    from channels.binding.websockets import WebsocketBinding

    class ThingBinding(WebsocketBinding):
        model = "shop.Thing"
        stream = "things"
        fields = ["name", "price"]

        @classmethod
        def group_names(cls, instance):
            return ["things"]

        def has_permission(self, user, action, pk):
            return user.is_staff

See ``docs/binding.rst``.
"""

from __future__ import annotations

from .base import CREATE, DELETE, UPDATE, Binding, BindingError

__all__ = ["CREATE", "DELETE", "UPDATE", "Binding", "BindingError"]
