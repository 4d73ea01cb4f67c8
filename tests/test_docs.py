"""The documentation builds with warnings as errors, and its layer examples are true.

Python code blocks on every page under ``docs/`` follow one scheme (the getting-started
guide and the tutorial are also run, as projects, by ``tests/examples/test_getting_started.py``
and ``tests/examples/test_tutorial.py``):

* a ``.. code-block:: python`` with the option ``:class: runnable`` is a self-contained example
  (it makes its own in-memory layer, or an IPC layer on a store of its own that it flushes);
  it is executed here and must not raise, so its ``assert`` lines are checked;
* a block that defines ``CHANNEL_LAYERS`` is a settings example: each layer it configures
  under a ``channels.`` backend path is built from its ``CONFIG`` (which connects to nothing),
  so every option named in the docs is one the layer accepts;
* every other Python block must at least be valid Python.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.docs_blocks import Block as CodeBlock
from tests.docs_blocks import code_blocks
from tests.reference_names import missing_from_reference, undocumented_callables

DOCS = Path(__file__).resolve().parent.parent / "docs"
#: Pages whose Python blocks are checked (every page); backends.rst also has runnable examples.
CHECKED_PAGES = tuple(sorted(path.name for path in DOCS.glob("*.rst")))
RUNNABLE = "runnable"
SPHINX_DEADLINE = 100.0  # seconds; under pytest's own 120 s timeout


def running_under_ci() -> bool:
    """True when the ``CI`` environment variable is set to something other than false."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


needs_sphinx = pytest.mark.skipif(
    importlib.util.find_spec("sphinx") is None and not running_under_ci(),
    reason="Sphinx is not installed (pip install -e '.[docs]'); under CI this test runs anyway",
)


def python_blocks(page: str) -> list[CodeBlock]:
    """The ``.. code-block:: python`` blocks of a page under ``docs/``, with their options."""
    return [block for _, block in code_blocks(page) if block.language in ("python", "python3")]


ALL_BLOCKS = [block for page in CHECKED_PAGES for block in python_blocks(page)]
RUNNABLE_BLOCKS = [b for b in python_blocks("backends.rst") if RUNNABLE in b.classes]
#: Settings examples that use our own backend paths (the early releases' aliases are resolved
#: by channels.asgi, which the Django-side tests cover).
SETTINGS_BLOCKS = [
    b
    for b in ALL_BLOCKS
    if re.search(r"^CHANNEL_LAYERS\s*=", b.code, re.M) and '"BACKEND": "channels.' in b.code
]


@needs_sphinx
def test_docs_build_with_warnings_as_errors(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-W",
        "--keep-going",
        "-q",
        "-b",
        "html",
        "-d",
        str(tmp_path / "doctrees"),
        str(DOCS),
        str(tmp_path / "html"),
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=SPHINX_DEADLINE, check=False
    )
    assert result.returncode == 0, (
        f"the Sphinx build failed (exit {result.returncode}); run "
        f"`python -m sphinx -W -b html docs docs/_build/html` to see it, and install Sphinx "
        f"with pip install -e '.[docs]' if it is missing.\n{result.stdout}\n{result.stderr}"
    )
    assert (tmp_path / "html" / "backends.html").is_file()
    missing = missing_from_reference(tmp_path / "html" / "reference.html")
    assert missing == [], f"public names with no entry in docs/reference.rst: {missing}"


def test_every_public_class_and_function_has_a_docstring() -> None:
    assert undocumented_callables() == []


def test_the_layer_page_has_runnable_examples() -> None:
    # Guards the marking scheme itself: a typo in ":class: runnable" would silently turn
    # every example into an unchecked one.
    assert len(RUNNABLE_BLOCKS) >= 6, [str(block) for block in RUNNABLE_BLOCKS]
    for block in ALL_BLOCKS:
        unknown = set(block.classes) - {RUNNABLE}
        assert not unknown, f"{block}: unknown code-block class {unknown!r}"
        assert set(block.options) <= {"class", "caption", "name", "emphasize-lines"}, (
            f"{block}: unexpected code-block options {sorted(block.options)!r}"
        )


@pytest.mark.parametrize("block", ALL_BLOCKS, ids=str)
def test_every_python_block_in_the_docs_is_valid_python(block: CodeBlock) -> None:
    try:
        ast.parse(block.code, filename=str(block))
    except SyntaxError as exc:
        # Fragments of a settings dict ("key": value,) are allowed when they parse as one.
        try:
            ast.parse("{\n" + block.code + "}\n", filename=str(block))
        except SyntaxError:
            pytest.fail(f"{block}: not valid Python: {exc}")


@pytest.mark.parametrize("block", RUNNABLE_BLOCKS, ids=str)
def test_runnable_layer_examples_run_against_the_in_memory_layer(block: CodeBlock) -> None:
    assert "InMemoryChannelLayer" in block.code or "IPCChannelLayer" in block.code, (
        f"{block}: a runnable example must make its own layer (in-memory, or IPC on a store "
        "prefix of its own that it flushes)"
    )
    namespace: dict[str, Any] = {"__name__": f"docs_example_{block.line}"}
    exec(compile(block.code, str(block), "exec"), namespace)
    for value in namespace.values():
        close = getattr(value, "close", None)
        if callable(close) and type(value).__module__.startswith("channels.layers"):
            close()


def _load_backend(path: str) -> type:
    module, _, name = path.rpartition(".")
    backend: type = getattr(importlib.import_module(module), name)
    return backend


@pytest.mark.parametrize("block", SETTINGS_BLOCKS, ids=str)
def test_layer_settings_in_the_docs_configure_real_options(block: CodeBlock) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(block.code, str(block), "exec"), namespace)
    for alias, config in namespace["CHANNEL_LAYERS"].items():
        assert "BACKEND" in config and "ROUTING" in config, f"{block}: {alias!r} is incomplete"
        layer = _load_backend(config["BACKEND"])(**config.get("CONFIG", {}))
        layer.close()
