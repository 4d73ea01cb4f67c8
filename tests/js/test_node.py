"""The unit tests of the browser client's pure parts (``tests/js/node/``), run by Node's own
test runner (``node --test``) in a subprocess; no npm package is needed.

Without ``node`` on PATH they are skipped on a laptop, but fail under CI (``.ci/run``
installs Debian's ``nodejs``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.conftest import running_under_ci

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "channels" / "static" / "channels" / "js"
NODE_TESTS = Path(__file__).resolve().parent / "node"
DOCS_PAGE = ROOT / "docs" / "javascript.rst"
_JS_BLOCK = re.compile(r"^\.\. code-block:: javascript\n\n((?:(?:   [^\n]*)?\n)+)", re.M)
#: Seconds Node may take: the tests themselves take well under one.
DEADLINE = 60.0


def node() -> str:
    """The ``node`` executable, or a skip (a failure under CI) saying how to get it."""
    found = shutil.which("node")
    if found is None:
        reason = "node is not on PATH; install Node.js (apt-get install nodejs) for these tests"
        if running_under_ci():
            pytest.fail(f"the JavaScript tests need Node under CI: {reason}", pytrace=False)
        pytest.skip(reason)
    return found


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [node(), *args],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )


@pytest.mark.parametrize("script", ["websocketbridge.js", "websocketbridge.mjs"])
def test_the_shipped_scripts_parse(script: str) -> None:
    done = run("--check", str(SCRIPTS / script))
    assert done.returncode == 0, done.stderr


def test_the_node_unit_tests_pass() -> None:
    # Files, not the folder: Node 18 (Debian's) and Node 22 read a folder argument differently.
    files = sorted(str(path) for path in NODE_TESTS.glob("*.test.mjs"))
    assert files, f"no *.test.mjs under {NODE_TESTS}"
    done = run("--test", "--test-reporter=tap", *files)
    assert done.returncode == 0, f"node --test failed:\n{done.stdout}\n{done.stderr}"
    # A runner that found no test file would pass too: make sure they ran.
    assert "# fail 0" in done.stdout
    passed = int(done.stdout.rsplit("# pass ", 1)[1].split()[0])
    assert passed >= 30, done.stdout


def test_the_javascript_blocks_of_the_docs_parse(tmp_path: Path) -> None:
    blocks = [textwrap.dedent(body) for body in _JS_BLOCK.findall(DOCS_PAGE.read_text("utf-8"))]
    assert blocks, f"no javascript block in {DOCS_PAGE}"
    for index, code in enumerate(blocks):
        script = tmp_path / f"block{index}.js"
        script.write_text(code, encoding="utf-8")
        done = run("--check", str(script))
        assert done.returncode == 0, f"{DOCS_PAGE.name}, javascript block {index}:\n{done.stderr}"
