"""The browser client ships in the wheel: every file under ``channels/static`` matches one of
setup.py's ``package_data`` patterns (a wheel built with ``python -m build`` lists both
``websocketbridge.js`` and ``websocketbridge.mjs``)."""

from __future__ import annotations

import ast
import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def package_data_patterns() -> list[str]:
    """The patterns of ``package_data={"": [...]}`` in setup.py."""
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "package_data":
            patterns: dict[str, list[str]] = ast.literal_eval(node.value)
            return patterns[""]
    raise AssertionError("setup.py has no package_data")


def test_every_static_file_is_in_package_data() -> None:
    patterns = package_data_patterns()
    static = [path for path in (ROOT / "channels" / "static").rglob("*") if path.is_file()]
    assert {path.name for path in static} >= {"websocketbridge.js", "websocketbridge.mjs"}
    missed = [
        str(path.relative_to(ROOT))
        for path in static
        if not any(fnmatch.fnmatch(path.name, pattern) for pattern in patterns)
    ]
    assert not missed, f"not shipped in the wheel (add a pattern to package_data): {missed}"
