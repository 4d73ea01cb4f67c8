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
from pathlib import Path

from tests.docs_blocks import Block, code_blocks

EDIT = " (edit)"
_PATH = re.compile(r"^[\w.-]+(/[\w.-]+)*\.\w+$")


def file_path(block: Block) -> str | None:
    """The file a block writes (relative to the project folder), or None."""
    caption = block.caption.removesuffix(EDIT)
    return caption if _PATH.match(caption) else None


def is_edit(block: Block) -> bool:
    return block.caption.endswith(EDIT)


def sections(page: str) -> dict[str, list[Block]]:
    """The file blocks of a page by section title, in the page's order."""
    result: dict[str, list[Block]] = {}
    for section, block in code_blocks(page):
        result.setdefault(section, [])
        if file_path(block) is not None:
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
        path = file_path(block)
        assert path is not None
        target = folder / path
        if is_edit(block):
            assert target.is_file(), f"{block} edits {path}, which does not exist yet"
            text = apply_edit(target.read_text(encoding="utf-8"), block)
        else:
            text = block.code
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written[path] = text
        if target.suffix == ".py":
            compile(text, str(block), "exec")  # a syntax error names the block
    return written
