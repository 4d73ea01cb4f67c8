"""The ``.. code-block::`` directives of the pages under ``docs/``, read from the ``.rst``.

:func:`code_blocks` gives each block with its language, its options (``:caption:``,
``:class:``...), its dedented text, and the title of the section it is in. The docs tests use
it to check and run the examples exactly as a reader sees them.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"

_DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)\.\. code-block::[ \t]*(?P<language>\S+)[ \t]*$")
_OPTION = re.compile(r"^[ \t]+:(?P<name>[\w-]+):[ \t]*(?P<value>.*)$")
_UNDERLINE = re.compile(r"^([-=~^\"'`#*+])\1{2,}[ \t]*$")


@dataclass(frozen=True)
class Block:
    """One ``.. code-block::`` of a page, with its options and dedented text."""

    page: str
    line: int
    language: str
    options: dict[str, str]
    code: str

    @property
    def caption(self) -> str:
        return self.options.get("caption", "")

    @property
    def classes(self) -> list[str]:
        return self.options.get("class", "").split()

    def __str__(self) -> str:
        return f"{self.page}:{self.line} ({self.caption or self.language})"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def code_blocks(page: str) -> list[tuple[str, Block]]:
    """Every ``.. code-block::`` of ``docs/<page>``, each with the title of its section."""
    lines = (DOCS / page).read_text(encoding="utf-8").splitlines()
    found: list[tuple[str, Block]] = []
    section = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        underline = lines[index + 1] if index + 1 < len(lines) else ""
        if line.strip() and _UNDERLINE.match(underline) and len(underline) >= len(line.rstrip()):
            section = line.strip()
        match = _DIRECTIVE.match(line)
        index += 1
        if match is None:
            continue
        start, indent = index, len(match.group("indent"))
        options = {}
        while index < len(lines) and (option := _OPTION.match(lines[index])):
            options[option.group("name")] = option.group("value").strip()
            index += 1
        body = []
        while index < len(lines) and (not lines[index].strip() or _indent(lines[index]) > indent):
            body.append(lines[index])
            index += 1
        code = textwrap.dedent("\n".join(body)).strip("\n") + "\n"
        found.append((section, Block(page, start, match.group("language"), options, code)))
    return found
