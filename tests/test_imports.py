"""The import surface: what the package exports, and the layers' independence from Django."""

from __future__ import annotations
import __future__

import inspect
import json
import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest

import channels
import channels.exceptions
import channels.layers

ROOT = Path(__file__).resolve().parent.parent


def modules_loaded_by(statement: str) -> list[str]:
    """The modules a fresh interpreter has loaded after running ``statement``."""
    script = f"{statement}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    loaded: list[str] = json.loads(result.stdout)
    return loaded


@pytest.mark.parametrize(
    "module",
    [
        "channels.layers",
        "channels.layers.redis",
        "channels.layers.ipc",
        "channels.exceptions",
        "channels",
        "channels.interface",
        "channels.metrics",
        "channels.log_context",
    ],
)
def test_importing_the_layers_does_not_import_django(module: str) -> None:
    loaded = modules_loaded_by(f"import {module}")
    assert module in loaded
    assert [name for name in loaded if name == "django" or name.startswith("django.")] == []


def own_public_names(module: object) -> set[str]:
    """Public names a module defines itself (not modules or typing helpers it imported)."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and not isinstance(value, __future__._Feature)
        and getattr(value, "__module__", None) != typing.__name__
        and value is not typing.Any
    }


def test_channels_all_lists_exactly_what_the_package_exposes() -> None:
    assert len(channels.__all__) == len(set(channels.__all__))
    assert own_public_names(channels) <= set(channels.__all__)
    for name in channels.__all__:
        assert getattr(channels, name) is not None, name
    with pytest.raises(AttributeError, match="no_such_name"):
        channels.no_such_name  # noqa: B018


def test_star_import_of_channels_gives_all_of_its_names() -> None:
    namespace: dict[str, object] = {}
    exec("from channels import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(channels.__all__)


@pytest.mark.parametrize("module", [channels.layers, channels.exceptions], ids=lambda m: m.__name__)
def test_subpackage_all_lists_exactly_what_it_defines(module: object) -> None:
    exported = module.__all__  # type: ignore[attr-defined]
    assert len(exported) == len(set(exported))
    assert all(hasattr(module, name) for name in exported)
    if module is channels.exceptions:
        defined = {
            name
            for name, value in vars(module).items()
            if isinstance(value, type)
            and issubclass(value, BaseException)
            and value.__module__ == module.__name__  # type: ignore[attr-defined]
        }
        assert defined == set(exported)
    else:
        assert own_public_names(module) - {"base", "inmemory"} <= set(exported)
