"""docs/operations.rst: its runnable example runs, its other Python blocks are valid, and it
names every JSON key the command prints and every metric a process serves."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from channels.management.inspection import PROCESS_KEYS, QUEUE_KEYS
from tests.test_docs import python_blocks

PAGE = "operations.rst"
TEXT = (Path(__file__).resolve().parents[2] / "docs" / PAGE).read_text(encoding="utf-8")


def test_the_page_has_a_runnable_example() -> None:
    assert any("runnable" in block.classes for block in python_blocks(PAGE))


@pytest.mark.parametrize("block", python_blocks(PAGE), ids=str)
def test_runnable_blocks_run_and_the_others_are_valid_python(block: object) -> None:
    tree = ast.parse(block.code)  # type: ignore[attr-defined]
    if "runnable" in block.classes:  # type: ignore[attr-defined]
        exec(compile(tree, str(block), "exec"), {"__name__": "docs_example"})


def documented_keys() -> set[str]:
    section = TEXT[TEXT.index("JSON keys") : TEXT.index("\nMetrics\n")]
    return {name for line in section.splitlines() for name in re.findall(r"^``(\w+)``", line)}


def test_every_json_key_is_documented() -> None:
    keys = documented_keys()
    for key in ("layer", "backend", "scope", *PROCESS_KEYS, *QUEUE_KEYS):
        assert key in keys or f"``{key}``" in TEXT, key


def served_metric_names() -> set[str]:
    source = (Path(__file__).resolve().parents[2] / "channels" / "metrics.py").read_text()
    return set(re.findall(r'"(channels_[a-z_]+)"', source))


def test_every_metric_is_documented_and_alert_rules_use_real_ones() -> None:
    served = served_metric_names()
    table = {name.replace("_total", "") for name in re.findall(r"``(channels_\w+)``", TEXT)}
    assert served <= table, served - table
    rules = TEXT[TEXT.index(".. code-block:: yaml") : TEXT.index("A health check")]
    for used in re.findall(r"\bchannels_\w+", rules):
        base = re.sub(r"_(total|bucket|count|sum)$", "", used)
        assert base in served, used


def test_the_documented_formatter_exists() -> None:
    from channels.log_context import JsonFormatter

    assert '"()": "channels.log_context.JsonFormatter"' in TEXT
    assert JsonFormatter
