"""Every install command the project shows installs this project.

``channels`` on the package index is another project (Channels 4), so ``pip install
channels`` (with or without extras) anywhere in the README, the docs, the examples' READMEs or
an error message would install the wrong thing. The distribution is ``channels-classic``.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(
    [
        ROOT / "README.rst",
        *(ROOT / "docs").glob("*.rst"),
        *(ROOT / "examples").rglob("*.rst"),
        *(ROOT / "channels").rglob("*.py"),
    ]
)
#: ``pip install ARGS`` (not ``pip uninstall``), up to the end of the line or the literal.
_INSTALL = re.compile(r"\bpip\s+install\s+(?P<args>[^\n`]*)")
#: A requirement naming the index's ``channels`` distribution, extras or not.
_WRONG = re.compile(r"^channels(\[[^\]]*\])?([<>=!~].*)?$", re.IGNORECASE)


def install_arguments(text: str) -> list[str]:
    found = []
    for match in _INSTALL.finditer(text):
        args = match["args"]
        try:
            words = shlex.split(args)
        except ValueError:  # an unbalanced quote in prose: split on blanks instead
            words = args.split()
        found.extend(word.strip("\"'(),;") for word in words)
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_install_command_names_the_channels_distribution(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    wrong = [arg for arg in install_arguments(text) if _WRONG.match(arg)]
    assert wrong == [], (
        f"{page.relative_to(ROOT)} tells people to pip install {wrong!r}, which is Channels 4 "
        "on the package index; the distribution is 'channels-classic'"
    )


def test_the_check_itself_finds_the_wrong_commands() -> None:
    text = 'pip install channels\npip install -U "channels[redis]"\npip uninstall channels\n'
    assert [arg for arg in install_arguments(text) if _WRONG.match(arg)] == [
        "channels",
        "channels[redis]",
    ]


def test_the_install_page_names_the_distribution() -> None:
    text = (ROOT / "docs" / "installation.rst").read_text(encoding="utf-8")
    assert "pip install channels-classic" in text
    assert "cannot share an environment" in text


def test_nothing_cites_a_design_document_the_project_does_not_ship() -> None:
    # The design notes the first round was built from are not part of the project: docstrings
    # and docs point at the project's own pages (docs/message-spec.rst and the like) instead.
    cited = "DESIGN" + ".md"
    citing = [
        str(path.relative_to(ROOT))
        for folder in ("channels", "docs", "tests", "examples", "benchmarks")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in (".py", ".rst", ".html", ".js", ".txt")
        and "_build" not in path.parts
        and cited in path.read_text(encoding="utf-8", errors="replace")
    ]
    assert not (ROOT / cited).exists(), f"{cited} is part of the project now: drop this test"
    assert citing == [], f"these cite {cited}, which the project does not contain: {citing}"
