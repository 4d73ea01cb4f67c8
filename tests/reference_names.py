"""The names a project imports from channels, and the check that the API reference
(``docs/reference.rst``, built by ``tests/test_docs.py``) documents every one of them.

A name is public when it is in the ``__all__`` of one of :data:`PUBLIC_MODULES` (the modules
the docs tell users to import from; for a module without ``__all__``, the classes and
functions it defines), which includes the names ``from channels import ...`` gives.
The built ``reference.html`` must hold an entry (an HTML ``id``) for it under any of the
module paths it can be imported from, or where it is defined.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path
from typing import Any

#: Modules a project imports from (the guide's pages and the early releases' docs name them).
PUBLIC_MODULES = [
    "channels",
    "channels.channel",
    "channels.message",
    "channels.routing",
    "channels.asgi",
    "channels.sessions",
    "channels.auth",
    "channels.generic",
    "channels.generic.websockets",
    "channels.security",
    "channels.security.websockets",
    "channels.handler",
    "channels.request",
    "channels.staticfiles",
    "channels.wsgi",
    "channels.offload",
    "channels.offload.routing",
    "channels.delay",
    "channels.binding",
    "channels.binding.websockets",
    "channels.signals",
    "channels.test",
    "channels.exceptions",
    "channels.layers",
    "channels.layers.inmemory",
    "channels.layers.redis",
]
#: Public by ``__all__`` but not API: the package's version string.
NOT_DOCUMENTED = {("channels", "__version__")}


def public_names() -> dict[tuple[str, str], Any]:
    """``(module, name) -> object`` for every public name."""
    found: dict[tuple[str, str], Any] = {}
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", None) or defined_in(module):
            if (module_name, name) not in NOT_DOCUMENTED:
                found[module_name, name] = getattr(module, name)
    return found


def defined_in(module: Any) -> list[str]:
    """The public classes and functions a module without ``__all__`` defines itself."""
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == module.__name__
    ]


def entry_ids(
    module: str, name: str, value: Any, everything: dict[tuple[str, str], Any]
) -> set[str]:
    """The reference entries that would document ``module.name``: where it is defined, or
    any public module it can be imported from."""
    ids = {f"{other}.{alias}" for (other, alias), obj in everything.items() if obj is value}
    ids.add(f"{module}.{name}")
    defined_in, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    if isinstance(defined_in, str) and isinstance(qualname, str):
        ids.add(f"{defined_in}.{qualname}")
    return ids


def missing_from_reference(reference_html: Path) -> list[str]:
    """Public names with no entry in the built reference page."""
    documented = set(re.findall(r'\bid="([^"]+)"', reference_html.read_text(encoding="utf-8")))
    everything = public_names()
    return sorted(
        f"{module}.{name}"
        for (module, name), value in everything.items()
        if not entry_ids(module, name, value, everything) & documented
    )


def undocumented_callables() -> list[str]:
    """Public classes and functions without a docstring of their own."""
    return sorted(
        f"{module}.{name}"
        for (module, name), value in public_names().items()
        if (inspect.isclass(value) or inspect.isroutine(value))
        and not (value.__doc__ or "").strip()
    )
