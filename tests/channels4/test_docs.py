"""The runnable examples of docs/channels4.rst run, and its other Python blocks parse."""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "channels4.rst"
BLOCK = re.compile(
    r"^\.\. code-block:: python\n((?:   :[^\n]*\n)*)\n((?:(?:    [^\n]*)?\n)+)", re.M
)


def blocks() -> list[tuple[bool, str]]:
    return [
        (":class: runnable" in options, textwrap.dedent(body))
        for options, body in BLOCK.findall(PAGE.read_text(encoding="utf-8"))
    ]


def test_page_has_a_runnable_example() -> None:
    assert any(runnable for runnable, _ in blocks())


@pytest.mark.parametrize("index", range(len(blocks())))
def test_code_block_is_valid_and_runnable_ones_run(index: int) -> None:
    runnable, source = blocks()[index]
    tree = ast.parse(source)
    if runnable:
        exec(compile(tree, f"{PAGE.name}[block {index}]", "exec"), {"__name__": "docs_example"})
