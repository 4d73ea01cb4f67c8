"""Build the project a documentation page describes, from the page's own code blocks.

The getting-started guide and the tutorial tell a person which files to write. Their tests
read those files out of the ``.rst`` (never from a copy kept elsewhere) and write them into a
project that ``django-admin startproject`` made in a temporary folder, in the page's order,
so the project is exactly what a reader who typed every block gets.

The marking scheme: a ``.. code-block::`` whose ``:caption:`` is a file path, relative to the
folder that holds ``manage.py``, is a file to write:

* ``:caption: chat/consumers.py`` — the block is the whole file: create it, or replace what
  is there (a later block for the same path replaces an earlier one, as the reader would);
* ``:caption: chat/settings.py (edit)`` — the block shows only what changes in a Python file
  that exists: each ``NAME = ...`` replaces the file's own top-level assignment of ``NAME``
  (or is added at the end if the file has none), each ``import`` not yet in the file goes
  after the file's last top-level import, and any other statement is added at the end.

Blocks without a caption, or with a caption that is not a path, are prose examples and are
not written. :func:`sections` returns the file blocks of a page by section, so a test can
build the project as it stands after any step and run it there.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
EDIT = " (edit)"
COMMAND_TIMEOUT = 60.0

_DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)\.\. code-block::[ \t]*(?P<language>\S+)[ \t]*$")
_OPTION = re.compile(r"^[ \t]+:(?P<name>[\w-]+):[ \t]*(?P<value>.*)$")
_UNDERLINE = re.compile(r"^([-=~^\"'`#*+])\1{2,}[ \t]*$")
_PATH = re.compile(r"^[\w.-]+(/[\w.-]+)*\.\w+$")


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
    def path(self) -> str | None:
        """The file this block writes (relative to the project folder), or None."""
        caption = self.caption.removesuffix(EDIT)
        return caption if _PATH.match(caption) else None

    @property
    def is_edit(self) -> bool:
        return self.caption.endswith(EDIT)

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


def sections(page: str) -> dict[str, list[Block]]:
    """The file blocks of a page by section title, in the page's order."""
    result: dict[str, list[Block]] = {}
    for section, block in code_blocks(page):
        result.setdefault(section, [])
        if block.path is not None:
            result[section].append(block)
    return result


def console_commands(page: str) -> list[str]:
    """The commands (``$ ...`` lines) of the page's ``console`` blocks."""
    return [
        line[2:].strip()
        for _, block in code_blocks(page)
        if block.language == "console"
        for line in block.code.splitlines()
        if line.startswith("$ ")
    ]


def blocks_until(page: str, last_section: str | None = None) -> list[Block]:
    """The file blocks from the start of the page to the end of ``last_section`` (all of them
    when it is None)."""
    by_section = sections(page)
    if last_section is not None and last_section not in by_section:
        raise AssertionError(f"{page} has no section {last_section!r}: {list(by_section)}")
    blocks: list[Block] = []
    for title, found in by_section.items():
        blocks.extend(found)
        if title == last_section:
            break
    return blocks


def apply_edit(source: str, block: Block) -> str:
    """``source`` (a Python file) changed as an ``(edit)`` block says."""
    edit = ast.parse(block.code, filename=str(block))
    lines = source.splitlines()
    edit_lines = block.code.splitlines()
    tree = ast.parse(source)

    def text_of(node: ast.stmt) -> list[str]:
        start = node.lineno - 1
        # Comments right above a statement belong to it.
        while start > 0 and edit_lines[start - 1].lstrip().startswith("#"):
            start -= 1
        assert node.end_lineno is not None
        return edit_lines[start : node.end_lineno]

    appended: list[str] = []
    imports: list[str] = []
    replacements: dict[str, list[str]] = {}
    for node in edit.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            statement = ast.get_source_segment(block.code, node) or ""
            if statement not in source:
                imports.append(statement)
        elif (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and any(_assigns(existing, node.targets[0].id) for existing in tree.body)
        ):
            replacements[node.targets[0].id] = text_of(node)
        else:
            appended.extend(["", *text_of(node)])

    # Replace from the bottom up, so earlier line numbers stay right.
    for existing in reversed(tree.body):
        for name, text in replacements.items():
            if _assigns(existing, name):
                assert existing.end_lineno is not None
                lines[existing.lineno - 1 : existing.end_lineno] = text
    if imports:
        last_import = max(
            (
                node.end_lineno or node.lineno
                for node in tree.body
                if isinstance(node, ast.Import | ast.ImportFrom)
            ),
            default=0,
        )
        lines[last_import:last_import] = imports
    return "\n".join([*lines, *appended]) + "\n"


def _assigns(node: ast.stmt, name: str) -> bool:
    return (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id == name
    )


def write_blocks(folder: Path, blocks: list[Block]) -> dict[str, str]:
    """Write each block into the project in ``folder``; the files written, by path."""
    written: dict[str, str] = {}
    for block in blocks:
        assert block.path is not None
        target = folder / block.path
        if block.is_edit:
            assert target.is_file(), f"{block} edits {block.path}, which does not exist yet"
            text = apply_edit(target.read_text(encoding="utf-8"), block)
        else:
            text = block.code
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written[block.path] = text
        if target.suffix == ".py":
            compile(text, str(block), "exec")  # a syntax error names the block
    return written


def run(folder: Path, env: dict[str, str], *command: str) -> str:
    """Run a command of the page (``django-admin``, ``python manage.py``) in ``folder`` with
    this interpreter; its output, or a failure showing it."""
    if command[0] == "django-admin":
        argv = [sys.executable, "-m", "django", *command[1:]]
    else:
        assert command[0] == "python", command
        argv = [sys.executable, *command[1:]]
    result = subprocess.run(
        argv,
        cwd=folder,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, (
        f"`{' '.join(command)}` in {folder} exited with {result.returncode}:\n"
        f"{result.stdout}\n{result.stderr}"
    )
    return result.stdout + result.stderr
