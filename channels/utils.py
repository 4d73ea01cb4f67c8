"""``name_that_thing``: a readable dotted name for any object, for logs.

The module path is the one channels 1.x had (``from channels.utils import name_that_thing``
in user code and logging formatters), which is why this module is named ``utils`` against the
house rule of naming a module after its one idea. It imports nothing but the standard
library.
"""

from __future__ import annotations

import inspect
import sys
from typing import Any


def _is_mock(thing: Any) -> bool:
    # Mocks answer every attribute lookup, so asking one for its name or class would
    # describe the mock machinery, not the object it stands in for.
    # unittest.mock is looked up, not imported: if nobody imported it, nothing is a mock.
    mock = sys.modules.get("unittest.mock")
    return mock is not None and isinstance(thing, mock.NonCallableMock)


def _dotted(thing: Any) -> str | None:
    module = getattr(thing, "__module__", None)
    name = getattr(thing, "__qualname__", None) or getattr(thing, "__name__", None)
    if not isinstance(module, str) or not isinstance(name, str):
        return None
    return f"{module}.{name}"


def name_that_thing(thing: Any) -> str:
    """A dotted name for ``thing``, as channels 1.x gave it.

    * a function, method or class: ``"module.name"`` (``"module.Class.method"`` for a
      method);
    * a mock object (``unittest.mock``): ``"<mock>"``;
    * any other instance: the dotted path of its class;
    * when no such name can be built: ``repr(thing)``.

    >>> name_that_thing(name_that_thing)
    'channels.utils.name_that_thing'
    """
    if _is_mock(thing):
        return "<mock>"
    if inspect.isroutine(thing) or inspect.isclass(thing):
        named = _dotted(thing)
        if named is not None:
            return named
    else:
        named = _dotted(type(thing))
        if named is not None:
            return named
    return repr(thing)


__all__ = ["name_that_thing"]
