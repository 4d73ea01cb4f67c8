"""The sdist is complete for redistributors, and its metadata matches what the project tests.

The sdist is built for real (``python -m build --sdist``, as a release would be, into a
temporary folder) and listed: it must hold every file of the project that git tracks (the
package, the full test suite, the docs, the examples, ``LICENSE``, ``README.rst``), and its
``PKG-INFO`` must name the distribution ``channels-classic`` with its project URLs and
classifiers for exactly the Python and Django versions ``tox.ini`` tests.
"""

from __future__ import annotations

import configparser
import email.parser
import re
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import channels
from tests.processes import run

ROOT = Path(__file__).resolve().parents[2]
DISTRIBUTION = "channels-classic"
#: What a redistributor needs, whatever git says.
REQUIRED = ["LICENSE", "README.rst", "setup.py", "pyproject.toml", "tox.ini", "MANIFEST.in"]
REQUIRED_FOLDERS = ["channels", "tests", "docs", "examples"]


def tracked_files() -> list[str] | None:
    """The files git tracks in this checkout, or None outside a git checkout (an sdist)."""
    if not (ROOT / ".git").exists():
        return None
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, timeout=30, check=False
    )
    if listed.returncode != 0:
        return None
    return [name for name in listed.stdout.decode().split("\0") if name]


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tarfile.TarFile]:
    out = tmp_path_factory.mktemp("sdist")
    # `build` comes with pip install -e '.[tests]'.
    run([sys.executable, "-m", "build", "--sdist", "--outdir", str(out), str(ROOT)], timeout=100)
    built = list(out.glob("*.tar.gz"))
    assert len(built) == 1, built
    with tarfile.open(built[0]) as archive:
        yield archive


def members(archive: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    """The sdist's files by their path inside the project (without the top folder)."""
    return {
        info.name.split("/", 1)[1]: info
        for info in archive.getmembers()
        if info.isfile() and "/" in info.name
    }


def pkg_info(archive: tarfile.TarFile) -> email.message.Message:
    top = archive.getnames()[0].split("/", 1)[0]
    extracted = archive.extractfile(f"{top}/PKG-INFO")
    assert extracted is not None
    return email.parser.Parser().parsestr(extracted.read().decode("utf-8"))


def test_the_sdist_is_named_for_the_distribution_and_its_version(
    sdist: tarfile.TarFile,
) -> None:
    top = {name.split("/", 1)[0] for name in sdist.getnames()}
    assert top == {f"channels_classic-{channels.__version__}"}


def test_the_sdist_holds_every_tracked_file(sdist: tarfile.TarFile) -> None:
    shipped = members(sdist)
    for name in REQUIRED:
        assert name in shipped, f"{name} is missing from the sdist"
    for folder in REQUIRED_FOLDERS:
        assert any(name.startswith(f"{folder}/") for name in shipped), f"no {folder}/ in sdist"
    tracked = tracked_files()
    if tracked is None:
        pytest.skip("not a git checkout: the tracked files are not known")
    missing = sorted(set(tracked) - set(shipped))
    assert missing == [], f"tracked files missing from the sdist (see MANIFEST.in): {missing}"


def test_the_sdist_ships_no_build_leftovers(sdist: tarfile.TarFile) -> None:
    junk = [
        name
        for name in members(sdist)
        if "__pycache__" in name
        or name.endswith((".pyc", ".sqlite3"))
        or name.startswith("docs/_build/")
    ]
    assert junk == []


def test_the_test_suite_in_the_sdist_is_the_whole_suite(sdist: tarfile.TarFile) -> None:
    shipped = members(sdist)
    on_disk = sorted(
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "tests").rglob("test_*.py")
        if "__pycache__" not in path.parts
    )
    assert len(on_disk) > 50
    assert [name for name in on_disk if name not in shipped] == []


def tox_versions() -> tuple[set[str], set[str]]:
    """The Python (``3.10``) and Django (``4.2``) versions tox.ini's environments test."""
    config = configparser.ConfigParser()
    config.read(ROOT / "tox.ini")
    envs = config["tox"]["envlist"]
    pythons: set[str] = set()
    for group in re.findall(r"py\{([\d,]+)\}|py(\d+)", envs):
        for tag in (group[0] or group[1]).split(","):
            pythons.add(f"{tag[0]}.{tag[1:]}")
    djangos = {f"{tag[0]}.{tag[1:]}" for tag in re.findall(r"django(\d+)", envs)}
    return pythons, djangos


def test_classifiers_name_the_python_and_django_versions_tox_tests(
    sdist: tarfile.TarFile,
) -> None:
    info = pkg_info(sdist)
    classifiers = info.get_all("Classifier") or []
    pythons, djangos = tox_versions()
    assert pythons and djangos
    said_pythons = {
        c.rsplit(" :: ", 1)[1]
        for c in classifiers
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    }
    said_djangos = {
        c.rsplit(" :: ", 1)[1]
        for c in classifiers
        if re.fullmatch(r"Framework :: Django :: \S+", c)
    }
    assert said_pythons == pythons
    assert said_djangos == djangos
    lowest = min(pythons, key=lambda version: tuple(map(int, version.split("."))))
    assert info["Requires-Python"] == f">={lowest}"


def test_metadata_names_the_distribution_and_its_project_urls(sdist: tarfile.TarFile) -> None:
    info = pkg_info(sdist)
    assert info["Name"] == DISTRIBUTION
    assert info["Version"] == channels.__version__
    urls = dict(url.split(", ", 1) for url in info.get_all("Project-URL") or [])
    assert {"Documentation", "Source", "Issues", "Changelog"} <= set(urls), urls
    assert all(url.startswith("https://") for url in urls.values()), urls
