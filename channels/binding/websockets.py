"""``WebsocketBinding``: a binding speaking the multiplexed JSON frames of
``channels.generic.websockets``::

    {"stream": "things", "payload": {"action": "update", "pk": 3,
                                     "data": {"name": "new"}, "model": "shop.thing"}}

Outbound payloads carry ``action``, ``pk``, ``data`` (the allowed fields) and ``model``;
inbound ones need ``action``, plus ``pk`` for update/delete and ``data`` for create/update.
Clients only ever see and set the fields named by ``fields``/``exclude``.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from django.core import serializers
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.serializers.base import DeserializationError
from django.db import models

from ..message import Message
from .base import Binding, BindingError, InboundError


class WebsocketBinding(Binding):
    """A :class:`~channels.binding.base.Binding` for WebSocket clients.

    Route it as one stream of a ``WebsocketDemultiplexer``::

        class Demultiplexer(WebsocketDemultiplexer):
            consumers = {"things": ThingBinding.consumer}

    ``strict_ordering`` runs a socket's frames in order (``enforce_ordering``).
    """

    model: ClassVar[Any] = None  # abstract
    stream: ClassVar[str | None] = None
    strict_ordering: ClassVar[bool] = False
    slight_ordering: ClassVar[bool] = False

    @classmethod
    def check_definition(cls) -> None:
        super().check_definition()
        if not isinstance(cls.stream, str) or not cls.stream:
            raise BindingError(
                f"{cls.__qualname__}.stream must name the stream its frames use, got "
                f"{cls.stream!r}; e.g. stream = 'things'"
            )

    # -- outbound ---------------------------------------------------------------------------

    @classmethod
    def encode(cls, stream: str, payload: dict[str, Any]) -> dict[str, Any]:
        """``{"text": '{"stream": ..., "payload": ...}'}`` (``WebsocketMultiplexer.encode``)."""
        from ..generic.websockets import WebsocketMultiplexer

        message: dict[str, Any] = WebsocketMultiplexer.encode(stream, payload)
        return message

    def serialize(self, instance: models.Model, action: str) -> dict[str, Any]:
        """``{"action", "pk", "data", "model"}`` for ``instance``."""
        return {
            "action": action,
            "pk": instance.pk,
            "data": self.serialize_data(instance),
            "model": self.model_label,
        }

    def serialize_data(self, instance: models.Model) -> dict[str, Any]:
        """The allowed fields of ``instance`` (primary key not included)."""
        serialized = serializers.serialize("python", [instance], fields=self.allowed_fields())
        data: dict[str, Any] = serialized[0]["fields"]
        return data

    # -- inbound ----------------------------------------------------------------------------

    @classmethod
    def wants(cls, message: Message) -> bool:
        """Only frames: a demultiplexer also passes its connect and disconnect messages."""
        return message.channel.name == "websocket.receive"

    @classmethod
    def get_handler(cls, message: Message, **kwargs: Any) -> Any:
        if cls.slight_ordering:
            raise ValueError(f"{cls.__qualname__}.slight_ordering was removed; use strict_ordering")
        handler = super().get_handler(message, **kwargs)
        if cls.strict_ordering:
            from ..sessions import enforce_ordering

            handler = enforce_ordering(handler)
        return handler

    def deserialize(self, message: Message) -> tuple[str, Any, dict[str, Any] | None]:
        """``(action, pk, data)`` from the frame's JSON payload."""
        text = message.get("text")
        if not isinstance(text, str):
            raise InboundError("binding frames must be JSON text")
        try:
            body = json.loads(text)
        except ValueError as exc:
            raise InboundError(f"payload is not JSON: {exc}") from None
        if not isinstance(body, dict) or "action" not in body:
            raise InboundError('payload must be an object with an "action"')
        data = body.get("data")
        if data is not None and not isinstance(data, dict):
            raise InboundError(f'"data" must be an object, got {data!r}')
        return body["action"], body.get("pk"), data

    def _allowed_data(self, data: dict[str, Any]) -> dict[str, Any]:
        allowed = set(self.allowed_fields())
        refused = sorted(set(data) - allowed)
        if refused:
            raise InboundError(f"fields {refused!r} cannot be set; allowed: {sorted(allowed)!r}")
        return data

    def _hydrate(self, pk: Any, data: dict[str, Any]) -> models.Model:
        """An instance built from ``data`` by Django's deserializer (types converted)."""
        try:
            (deserialized,) = serializers.deserialize(
                "python", [{"pk": pk, "model": self.model_label, "fields": data}]
            )
        except (DeserializationError, ValidationError, ValueError, TypeError) as exc:
            raise InboundError(f"invalid data {data!r}: {exc}") from None
        instance: models.Model = deserialized.object
        return instance

    def _get(self, pk: Any) -> models.Model:
        try:
            instance: models.Model = self.model._default_manager.get(pk=pk)
        except ObjectDoesNotExist:
            raise InboundError(f"no {self.model_label} with pk {pk!r}") from None
        except (ValidationError, ValueError, TypeError):
            raise InboundError(f"invalid pk {pk!r}") from None
        return instance

    def create(self, data: dict[str, Any]) -> None:
        """Create and save an instance from the allowed fields of ``data``."""
        instance = self._hydrate(None, self._allowed_data(data))
        self._save(instance)

    def update(self, pk: Any, data: dict[str, Any]) -> None:
        """Set the allowed fields of ``data`` on instance ``pk`` and save it."""
        data = self._allowed_data(data)
        instance = self._get(pk)
        hydrated = self._hydrate(pk, data)
        for name in data:
            field = self.model._meta.get_field(name)
            if field.many_to_many:
                raise InboundError(f"many-to-many field {name!r} cannot be set by a frame")
            setattr(instance, field.attname, getattr(hydrated, field.attname))
        self._save(instance)

    def delete(self, pk: Any) -> None:
        """Delete instance ``pk`` (its delete signals send the frames)."""
        self._get(pk).delete()

    def _save(self, instance: models.Model) -> None:
        try:
            instance.save()
        except (ValidationError, ValueError, TypeError) as exc:
            raise InboundError(f"cannot save {self.model_label}: {exc}") from None


class WebsocketBindingWithMembers(WebsocketBinding):
    """A binding that also sends ``send_members``: attribute paths (``"author.name"``;
    callables are called), in ``data`` under names with ``__`` for ``.``."""

    model: ClassVar[Any] = None  # abstract
    send_members: ClassVar[list[str]] = []

    def serialize_data(self, instance: models.Model) -> dict[str, Any]:
        from django.core.serializers.json import DjangoJSONEncoder

        data = super().serialize_data(instance)
        for path in self.send_members:
            value: Any = instance
            for part in path.split("."):
                value = getattr(value, part)
                if callable(value):
                    value = value()
            # Round-trip through Django's encoder so dates and decimals become JSON values.
            data[path.replace(".", "__")] = json.loads(json.dumps(value, cls=DjangoJSONEncoder))
        return data


__all__ = ["WebsocketBinding", "WebsocketBindingWithMembers"]
