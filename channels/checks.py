"""System checks for ``CHANNEL_LAYERS``: ``manage.py check`` reports mistakes with ids.

=============== ==============================================================
``channels.E001`` a layer has no ``BACKEND``, or its entry is not a dict
``channels.E002`` ``BACKEND`` cannot be imported (unknown name, missing package)
``channels.E003`` ``CONFIG`` is not a dict, or the backend refuses it
``channels.E004`` ``ROUTING`` cannot be imported or is not a routing
``channels.E005`` a consumer named by dotted path cannot be imported
``channels.W001`` a layer's entry has a key channels does not know (a typo?)
``channels.W002`` ``channels`` comes after ``django.contrib.staticfiles`` in
                  ``INSTALLED_APPS``, so ``runserver`` is staticfiles' WSGI server
=============== ==============================================================
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from .asgi import KNOWN_KEYS, backend_class, build_layer, layer_config
from .exceptions import InvalidChannelLayerError
from .serving import daphne_order_warnings


def _layer_errors(alias: str, configs: Any) -> list[checks.CheckMessage]:
    from .routing import ConsumerImportError, Router

    where = f"CHANNEL_LAYERS[{alias!r}]"
    try:
        config = layer_config(alias, configs)
    except InvalidChannelLayerError as exc:
        return [checks.Error(str(exc), id="channels.E001")]
    found: list[checks.CheckMessage] = [
        checks.Warning(
            f"{where} has an unknown key {key!r}",
            hint=f"the known keys are {', '.join(sorted(KNOWN_KEYS))}",
            id="channels.W001",
        )
        for key in config
        if key not in KNOWN_KEYS
    ]
    if not config.get("BACKEND"):
        found.append(
            checks.Error(
                f"{where} has no 'BACKEND'",
                hint="set it to e.g. 'channels.layers.redis.RedisChannelLayer'",
                id="channels.E001",
            )
        )
    else:
        try:
            backend_class(alias, config)
        except InvalidChannelLayerError as exc:
            found.append(checks.Error(str(exc), id="channels.E002"))
        else:
            try:
                layer = build_layer(alias, config)
            except InvalidChannelLayerError as exc:
                found.append(checks.Error(str(exc), id="channels.E003"))
            else:
                close = getattr(layer, "close", None)
                if callable(close):
                    close()
    try:
        Router(config.get("ROUTING", []))
    except ConsumerImportError as exc:
        found.append(checks.Error(f"{where}['ROUTING']: {exc}", id="channels.E005"))
    except Exception as exc:  # an import error, a bad route: anything the module raised
        found.append(
            checks.Error(
                f"{where}['ROUTING'] = {config.get('ROUTING')!r} cannot be loaded: "
                f"{type(exc).__name__}: {exc}",
                hint="ROUTING is a list of route()s, a dict {channel: consumer} or a dotted "
                "path to one, e.g. 'myproject.routing.channel_routing'",
                id="channels.E004",
            )
        )
    return found


@checks.register("channels")
def check_channel_layers(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Check every entry of ``CHANNEL_LAYERS``."""
    configs = getattr(settings, "CHANNEL_LAYERS", {})
    if not isinstance(configs, dict):
        return [
            checks.Error(
                f"CHANNEL_LAYERS must be a dict of layer aliases to dicts, got {configs!r}",
                id="channels.E001",
            )
        ]
    found: list[checks.CheckMessage] = []
    for alias in configs:
        found.extend(_layer_errors(alias, configs))
    return found


@checks.register("channels")
def check_app_order(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Warn when staticfiles' ``runserver`` would shadow channels' one.

    Django takes a command from the first installed app that has it; channels does not
    monkeypatch Django to win otherwise.
    """
    installed = list(settings.INSTALLED_APPS)
    names = [name.split(".apps.")[0] for name in installed]
    if "daphne" in names and "channels" in names:
        return daphne_order_warnings(names)
    if "django.contrib.staticfiles" not in names or "channels" not in names:
        return []
    if names.index("channels") < names.index("django.contrib.staticfiles"):
        return []
    return [
        checks.Warning(
            "'channels' comes after 'django.contrib.staticfiles' in INSTALLED_APPS, so "
            "`manage.py runserver` is staticfiles' WSGI server: no WebSockets, no workers",
            hint="move 'channels' above 'django.contrib.staticfiles' in INSTALLED_APPS",
            id="channels.W002",
        )
    ]
