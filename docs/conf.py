"""Sphinx configuration for the channels documentation.

Build with ``python -m sphinx -W -b html docs docs/_build/html`` (warnings are errors; the
test suite runs the same build in ``tests/test_docs.py``).

Two small ``source-read`` hooks keep the build warning-free while the documentation grows:

* the table of contents in ``index.rst`` names every page we plan, in reading order; entries
  whose page does not exist yet are left out, and pages that ``index.rst`` does not name are
  listed under "More" instead of being orphans;
* ``reference.rst`` gets one ``automodule`` per module file found in ``channels/layers/``, so a
  new layer module is documented as soon as it exists (and a module that fails to import fails
  the build, rather than disappearing).
"""

from __future__ import annotations

import fnmatch
import os
import re
import sys
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

import channels  # noqa: E402  (needs the path above)

project = "channels"
author = "the channels contributors"
project_copyright = "the channels contributors, BSD-3-Clause licence"
release = channels.__version__
version = ".".join(release.split(".")[:2])

extensions = ["sphinx.ext.autodoc", "sphinx.ext.viewcode"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
root_doc = "index"
pygments_style = "sphinx"
html_theme = "alabaster"
html_title = f"channels {release}"

autodoc_member_order = "bysource"
autodoc_default_options = {"show-inheritance": True}
autodoc_typehints = "signature"

# The reference documents the Django side too, so Django needs settings: the smallest ones
# that let every public module import (channels.delay's model, the auth decorators).
os.environ.pop("DJANGO_SETTINGS_MODULE", None)
import django  # noqa: E402
from django.conf import settings  # noqa: E402

if not settings.configured:
    settings.configure(
        INSTALLED_APPS=[
            "channels",
            "channels.delay",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
        ],
        CHANNEL_LAYERS={
            "default": {
                "BACKEND": "channels.layers.inmemory.InMemoryChannelLayer",
                "ROUTING": [],
            }
        },
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        USE_TZ=True,
    )
    django.setup()

# -- table of contents: planned pages, shown once they exist --------------------------------

#: Marks the toctree entry that stands for "every page not named elsewhere in index.rst".
CATCH_ALL = "*"
_TOCTREE_RE = re.compile(r"^\.\. toctree::[^\n]*\n(?:[ \t]+[^\n]*\n|[ \t]*\n)*", re.MULTILINE)
_OPTION_RE = re.compile(r"^\s+:[\w-]+:")


def _existing_pages() -> set[str]:
    """Names of the top-level pages in ``docs/`` (``installation`` for installation.rst)."""
    return {path.stem for path in DOCS.glob("*.rst")}


def _named_pages(text: str) -> set[str]:
    named: set[str] = set()
    for block in _TOCTREE_RE.findall(text):
        for line in block.splitlines()[1:]:
            entry = line.strip()
            if entry and not _OPTION_RE.match(line) and entry != CATCH_ALL:
                named.add(entry)
    return named


def _filter_toctree(block: str, existing: set[str], unnamed: list[str]) -> str:
    lines = block.splitlines(keepends=True)
    kept = [lines[0]]
    for line in lines[1:]:
        entry = line.strip()
        if not entry or _OPTION_RE.match(line):
            kept.append(line)
        elif entry == CATCH_ALL:
            indent = line[: len(line) - len(line.lstrip())]
            kept.extend(f"{indent}{page}\n" for page in unnamed)
        elif not any(fnmatch.fnmatchcase(page, entry) for page in existing):
            continue  # planned page, not written yet
        else:
            kept.append(line)
    return "".join(kept)


def _fill_index(text: str) -> str:
    existing = _existing_pages()
    unnamed = sorted(existing - _named_pages(text) - {root_doc})
    return _TOCTREE_RE.sub(lambda m: _filter_toctree(m.group(0), existing, unnamed), text)


# -- API reference: one automodule per layer module ------------------------------------------

LAYER_MODULES_MARKER = ".. layer-modules-go-here"
#: Reading order for the layer modules; any other module file follows alphabetically.
LAYER_MODULE_ORDER = ["base", "inmemory", "redis", "names", "capacity", "codec"]


def _layer_modules() -> list[str]:
    found = {
        path.stem
        for path in (ROOT / "channels" / "layers").glob("*.py")
        if not path.stem.startswith("_")
    }
    ordered = [name for name in LAYER_MODULE_ORDER if name in found]
    return ordered + sorted(found - set(ordered))


def _layer_reference() -> str:
    parts = []
    for name in _layer_modules():
        module = f"channels.layers.{name}"
        title = f"``{module}``"
        parts.append(f"{title}\n{'-' * len(title)}\n\n.. automodule:: {module}\n   :members:\n")
    return "\n".join(parts)


def _on_source_read(app: Any, docname: str, source: list[str]) -> None:
    if docname == root_doc:
        source[0] = _fill_index(source[0])
    elif docname == "reference":
        source[0] = source[0].replace(LAYER_MODULES_MARKER, _layer_reference())


def setup(app: Any) -> dict[str, Any]:
    app.connect("source-read", _on_source_read)
    return {"parallel_read_safe": True}
