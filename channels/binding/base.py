"""``Binding``: model changes out to groups of sockets, and client changes back in.

**Outbound.** A binding connects to its model's ``pre_save``/``post_save``/``pre_delete``/
``post_delete`` signals. Before a change it notes the groups the stored instance belongs to
(``group_names(instance)`` of the row as it is in the database); after it, the groups the
instance belongs to now. It then sends, in this order, ``delete`` to the groups the instance
left, ``update`` to those it stayed in and ``create`` to those it joined, so a client
watching one group sees an instance arrive and leave as it moves. The frames are built at
the change and sent once the transaction commits (at once outside a transaction; held
until the consumer ends inside one): a rolled-back change sends nothing.

**Inbound.** ``Binding.consumer`` is a consumer (usually one stream of a
``WebsocketDemultiplexer``): ``deserialize(message)`` gives ``(action, pk, data)``, and the
action runs only if ``has_permission(user, action, pk)`` says so.

**Registration** happens when the class is defined: signals are connected for the model (a
model class, or an ``"app_label.ModelName"`` string resolved as soon as that model is
loaded, through Django's ``apps.lazy_model_operation``). Nothing touches the database then,
so bindings may be defined in any module; import them from your app's ``AppConfig.ready()``
so that every process that saves the model (workers, web servers, scripts) sends frames.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, ClassVar

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models, router, transaction
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from ..channel import Group
from ..message import Message

logger = logging.getLogger("channels.binding")

CREATE = "create"
UPDATE = "update"
DELETE = "delete"
ACTIONS = (CREATE, UPDATE, DELETE)

#: Where a binding notes an instance's groups before a change (per binding class).
GROUPS_ATTR = "_binding_group_names"


class BindingError(ImproperlyConfigured, ValueError):
    """A binding class is defined wrongly (model, fields/exclude, stream)."""


class InboundError(ValueError):
    """A client's create/update/delete that cannot be applied (bad action, pk or data)."""


class BindingMetaclass(type):
    """Checks and registers every binding class as it is defined.

    A class that sets ``model = None`` in its own body is abstract: a base for other
    bindings, with nothing registered. ``binding_classes`` lists the registered ones.
    """

    binding_classes: ClassVar[list[type[Binding]]] = []
    #: Always true: registration needs no database, so it never waits for app loading.
    register_immediately: ClassVar[bool] = True

    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> Any:
        cls = super().__new__(mcs, name, bases, attrs)
        if not any(isinstance(base, BindingMetaclass) for base in bases):
            return cls  # Binding itself
        if "model" in attrs and attrs["model"] is None:
            return cls  # abstract
        cls.check_definition()  # type: ignore[attr-defined]
        cls.register()  # type: ignore[attr-defined]
        mcs.binding_classes.append(cls)  # type: ignore[arg-type]
        return cls

    @classmethod
    def register_all(mcs) -> None:
        """Register every binding class defined so far (they register on definition; kept
        for code written against 1.x)."""
        for binding in mcs.binding_classes:
            binding.register()


class Binding(metaclass=BindingMetaclass):
    """Binds a model to groups of consumers.

    Set ``model`` (a class or ``"app_label.ModelName"``) and ``fields`` (names, or
    ``"__all__"``) or ``exclude``; implement ``group_names``, ``serialize``, ``deserialize``,
    ``has_permission``, ``create``, ``update`` and ``encode`` (``WebsocketBinding`` does all but
    ``group_names`` and ``has_permission``).
    """

    model: ClassVar[Any] = None
    fields: ClassVar[Iterable[str] | str | None] = None
    exclude: ClassVar[Iterable[str] | None] = None
    #: The stream name frames carry (used by ``encode``).
    stream: ClassVar[str | None] = None
    #: Run inbound actions with ``message.user`` from the channel session (1.x default).
    channel_session_user: ClassVar[bool] = True
    channel_session: ClassVar[bool] = False
    #: Extra keyword arguments for the signal ``connect`` calls.
    signal_kwargs: ClassVar[dict[str, Any] | None] = None
    #: The channel layer alias outbound frames go through.
    channel_layer_alias: ClassVar[str] = "default"

    #: ``"app_label.modelname"``, set once the model is resolved.
    model_label: ClassVar[str | None] = None

    message: Message
    kwargs: dict[str, Any]
    user: Any

    # -- definition and registration --------------------------------------------------------

    @classmethod
    def check_definition(cls) -> None:
        """Raise :class:`BindingError` if the class body is incomplete or contradictory."""
        name = cls.__qualname__
        if cls.model is None:
            raise BindingError(
                f"{name}.model is not set; set it to a model class or 'app_label.ModelName' "
                "(or model = None in the class body for an abstract base binding)"
            )
        if isinstance(cls.model, str) and cls.model.count(".") != 1:
            raise BindingError(f"{name}.model = {cls.model!r} is not 'app_label.ModelName'")
        if not isinstance(cls.model, str) and not (
            isinstance(cls.model, type) and issubclass(cls.model, models.Model)
        ):
            raise BindingError(f"{name}.model = {cls.model!r} is not a model class")
        if cls.fields is None and cls.exclude is None:
            raise BindingError(
                f"{name} sets neither fields nor exclude; say which fields clients see, e.g. "
                "fields = ['name', 'status'] or fields = '__all__'"
            )
        if cls.fields is not None and cls.exclude is not None:
            raise BindingError(f"{name} sets both fields and exclude; set only one")
        for attr in ("fields", "exclude"):
            value = getattr(cls, attr)
            if value is None or value == "__all__":
                continue
            if isinstance(value, str) or not all(isinstance(item, str) for item in value):
                raise BindingError(
                    f"{name}.{attr} must be a list of field names"
                    + (" or '__all__'" if attr == "fields" else "")
                    + f", got {value!r}"
                )

    @classmethod
    def register(cls) -> None:
        """Connect the model's signals (now, or as soon as a model named by string loads)."""
        if isinstance(cls.model, str):
            app_label, model_name = cls.model.split(".")
            apps.lazy_model_operation(cls._connect, (app_label, model_name.lower()))
        else:
            cls._connect(cls.model)

    @classmethod
    def _connect(cls, model: type[models.Model]) -> None:
        cls.model = model
        cls.model_label = f"{model._meta.app_label}.{model._meta.model_name}".lower()
        cls._check_field_names(model)
        extra = dict(cls.signal_kwargs or {})
        extra.setdefault("weak", False)
        for signal, receiver in cls._receivers():
            signal.connect(receiver, sender=model, dispatch_uid=cls._uid(signal), **extra)

    @classmethod
    def unregister(cls) -> None:
        """Disconnect the model's signals (for tests, or to switch a binding off)."""
        if isinstance(cls.model, str):
            return  # never connected: the model has not loaded
        for signal, _receiver in cls._receivers():
            signal.disconnect(sender=cls.model, dispatch_uid=cls._uid(signal))

    @classmethod
    def _receivers(cls) -> list[tuple[Any, Any]]:
        return [
            (pre_save, cls.pre_save_receiver),
            (post_save, cls.post_save_receiver),
            (pre_delete, cls.pre_delete_receiver),
            (post_delete, cls.post_delete_receiver),
        ]

    @classmethod
    def _uid(cls, signal: Any) -> str:
        names = {id(pre_save): "pre_save", id(post_save): "post_save"}
        names.update({id(pre_delete): "pre_delete", id(post_delete): "post_delete"})
        return f"channels.binding:{cls.__module__}.{cls.__qualname__}:{names[id(signal)]}"

    @classmethod
    def _check_field_names(cls, model: type[models.Model]) -> None:
        known = set(cls.model_field_names(model))
        for attr in ("fields", "exclude"):
            value = getattr(cls, attr)
            if value is None or value == "__all__" or list(value) == ["__all__"]:
                continue
            unknown = [name for name in value if name not in known]
            if unknown:
                raise BindingError(
                    f"{cls.__qualname__}.{attr} names {unknown!r}, which "
                    f"{model.__name__} does not have; its fields are {sorted(known)!r}"
                )

    @classmethod
    def get_registered_models(cls) -> list[Any]:
        """The models this binding watches (1.x API)."""
        return [cls.model]

    # -- fields -----------------------------------------------------------------------------

    @staticmethod
    def model_field_names(model: type[models.Model]) -> list[str]:
        """The names of ``model``'s serializable fields, primary key excluded."""
        meta = model._meta.concrete_model._meta
        names = [f.name for f in meta.local_fields if f.serialize and not f.primary_key]
        names += [f.name for f in meta.local_many_to_many if f.serialize]
        return names

    @classmethod
    def allowed_fields(cls) -> list[str]:
        """The names of the fields clients see and may set (``fields``, or all but
        ``exclude``)."""
        all_names = cls.model_field_names(cls.model)
        if cls.fields is not None:
            if cls.fields == "__all__" or list(cls.fields) == ["__all__"]:
                return all_names
            return list(cls.fields)
        excluded = set(cls.exclude or ())
        return [name for name in all_names if name not in excluded]

    # -- outbound ---------------------------------------------------------------------------

    @classmethod
    def pre_save_receiver(cls, instance: models.Model, **kwargs: Any) -> None:
        """Note the groups of the stored row before it changes (none for a create)."""
        groups: set[str] = set()
        if not instance._state.adding and instance.pk is not None:
            using = kwargs.get("using") or router.db_for_read(type(instance), instance=instance)
            # The groups of the row as stored: the instance in hand already has new values.
            stored = type(instance)._base_manager.using(using).filter(pk=instance.pk).first()
            if stored is not None:
                groups = set(cls.group_names(stored))
        cls._note_groups(instance, groups)

    @classmethod
    def post_save_receiver(cls, instance: models.Model, created: bool, **kwargs: Any) -> None:
        """Send delete/update/create frames to the groups the save moved the instance out
        of, kept it in, and moved it into."""
        cls.post_change_receiver(instance, CREATE if created else UPDATE, **kwargs)

    @classmethod
    def pre_delete_receiver(cls, instance: models.Model, **kwargs: Any) -> None:
        """Note the groups of the instance about to be deleted."""
        cls._note_groups(instance, set(cls.group_names(instance)))

    @classmethod
    def post_delete_receiver(cls, instance: models.Model, **kwargs: Any) -> None:
        """Send delete frames to every group the instance was in."""
        cls.post_change_receiver(instance, DELETE, **kwargs)

    @classmethod
    def _note_groups(cls, instance: models.Model, groups: set[str]) -> None:
        noted = instance.__dict__.setdefault(GROUPS_ATTR, {})
        noted[cls] = groups

    @classmethod
    def post_change_receiver(cls, instance: models.Model, action: str, **kwargs: Any) -> None:
        """Work out which groups get which action, build the frames, send them on commit."""
        old = instance.__dict__.get(GROUPS_ATTR, {}).pop(cls, set())
        new = set() if action == DELETE else set(cls.group_names(instance))
        frames: list[tuple[list[str], dict[str, Any]]] = []
        for groups, group_action in (
            (old - new, DELETE),
            (old & new, UPDATE),
            (new - old, CREATE),
        ):
            if groups:
                message = cls.build_message(instance, group_action)
                if message is not None:
                    frames.append((sorted(groups), message))
        if not frames:
            return
        using = kwargs.get("using") or router.db_for_write(type(instance), instance=instance)
        transaction.on_commit(lambda: cls.send_frames(frames), using=using, robust=True)

    @classmethod
    def build_message(cls, instance: models.Model, action: str) -> dict[str, Any] | None:
        """The reply-channel message for ``action`` on ``instance``, or None to send nothing
        (``serialize`` returned ``{}``)."""
        payload = cls().serialize(instance, action)
        if payload == {}:
            return None
        if not cls.stream:
            raise BindingError(f"{cls.__qualname__}.stream is not set; name the stream")
        message: dict[str, Any] = cls.encode(cls.stream, payload)
        return message

    @classmethod
    def send_frames(cls, frames: list[tuple[list[str], dict[str, Any]]]) -> None:
        """Send each message to its groups."""
        for groups, message in frames:
            for name in groups:
                Group(name, alias=cls.channel_layer_alias).send(message)

    @classmethod
    def send_messages(
        cls, instance: models.Model, group_names: Iterable[str], action: str, **kwargs: Any
    ) -> None:
        """Send ``action`` on ``instance`` to ``group_names`` now (1.x API)."""
        message = cls.build_message(instance, action)
        if message is not None:
            cls.send_frames([(list(group_names), message)])

    # -- inbound ----------------------------------------------------------------------------

    @classmethod
    def consumer(cls, message: Message, **kwargs: Any) -> None:
        """The consumer applying clients' create/update/delete (one instance per message)."""
        if not cls.wants(message):
            return
        cls.get_handler(message, **kwargs)(message, **kwargs)

    @classmethod
    def wants(cls, message: Message) -> bool:
        """Whether ``message`` carries an inbound action (every message, by default)."""
        return True

    @classmethod
    def get_handler(cls, message: Message, **kwargs: Any) -> Any:
        """``trigger_inbound``, wrapped with the session decorators the class asks for."""
        handler: Any = cls.trigger_inbound
        if cls.channel_session_user:
            from ..auth import channel_session_user

            handler = channel_session_user(handler)
        elif cls.channel_session:
            from ..sessions import channel_session

            handler = channel_session(handler)
        return handler

    @classmethod
    def trigger_inbound(cls, message: Message, **kwargs: Any) -> None:
        """Deserialize the message and run its action for ``message.user``."""
        self = cls()
        self.message = message
        self.kwargs = kwargs
        self.user = getattr(message, "user", None)
        if self.user is None:
            from django.contrib.auth.models import AnonymousUser

            self.user = AnonymousUser()
        try:
            action, pk, data = self.deserialize(message)
            self.run_action(action, pk, data)
        except InboundError as exc:
            self.refuse(str(exc))

    def run_action(self, action: str, pk: Any, data: dict[str, Any] | None) -> None:
        """Run ``action`` if ``has_permission`` allows it."""
        if action not in ACTIONS:
            raise InboundError(f"unknown action {action!r}; use one of {list(ACTIONS)!r}")
        if action != CREATE and pk is None:
            raise InboundError(f"action {action!r} needs a 'pk'")
        if not self.has_permission(self.user, action, pk):
            logger.info(
                "%s: %s refused %r on pk %r", type(self).__qualname__, self.user, action, pk
            )
            self.refuse(f"permission denied: {action} on pk {pk!r}", action, pk)
            return
        if action == CREATE:
            self.create(data or {})
        elif action == UPDATE:
            self.update(pk, data or {})
        else:
            self.delete(pk)

    def refuse(self, reason: str, action: Any = None, pk: Any = None) -> None:
        """Called when an inbound action is refused or invalid; logs it by default."""
        logger.warning("%s: %s", type(self).__qualname__, reason)

    # -- to implement -----------------------------------------------------------------------

    @classmethod
    def group_names(cls, instance: models.Model) -> Iterable[str]:
        """The groups that hear about ``instance``."""
        raise NotImplementedError(f"{cls.__qualname__} must implement group_names(instance)")

    def has_permission(self, user: Any, action: str, pk: Any) -> bool:
        """Whether ``user`` may run ``action`` on the instance ``pk``."""
        raise NotImplementedError(
            f"{type(self).__qualname__} must implement has_permission(user, action, pk)"
        )

    def serialize(self, instance: models.Model, action: str) -> dict[str, Any]:
        """The payload describing ``action`` on ``instance`` (``{}``: send nothing)."""
        raise NotImplementedError

    def deserialize(self, message: Message) -> tuple[str, Any, dict[str, Any] | None]:
        """``(action, pk, data)`` of an inbound message."""
        raise NotImplementedError

    @classmethod
    def encode(cls, stream: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The reply-channel message carrying ``payload``."""
        raise NotImplementedError

    def create(self, data: dict[str, Any]) -> None:
        """Create an instance from ``data``."""
        raise NotImplementedError

    def update(self, pk: Any, data: dict[str, Any]) -> None:
        """Change the instance ``pk`` with ``data``."""
        raise NotImplementedError

    def delete(self, pk: Any) -> None:
        """Delete the instance ``pk`` (its ``delete`` signals send the frames)."""
        for instance in self.model._default_manager.filter(pk=pk):
            instance.delete()


__all__ = [
    "ACTIONS",
    "CREATE",
    "DELETE",
    "UPDATE",
    "Binding",
    "BindingError",
    "BindingMetaclass",
    "InboundError",
]
