"""The runnable examples of docs/http.rst run, and its other Python blocks are valid Python."""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "http.rst"
BLOCK = re.compile(r"^\.\. code-block:: python\n((?:   :[^\n]*\n)*)\n((?:(?:   [^\n]*)?\n)+)", re.M)


def blocks() -> list[tuple[bool, str]]:
    found = []
    for options, body in BLOCK.findall(PAGE.read_text(encoding="utf-8")):
        found.append((":class: runnable" in options, textwrap.dedent(body)))
    return found


def test_page_has_runnable_examples():
    assert sum(runnable for runnable, _ in blocks()) >= 3


@pytest.mark.parametrize("index", range(len(blocks())))
def test_code_block_is_valid_and_runnable_ones_run(index: int):
    runnable, source = blocks()[index]
    tree = ast.parse(source)
    if runnable:
        exec(compile(tree, f"{PAGE.name}[block {index}]", "exec"), {"__name__": "docs_example"})
