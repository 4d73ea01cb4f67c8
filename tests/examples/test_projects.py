"""Every example project as checked before it runs: its settings import (in-memory and
Redis), Django's checks pass, no migration is missing, and its README gives the commands
the other tests in this folder run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from .processes import EXAMPLES, example_env, manage, run_command

PROJECTS = ["chat", "liveblog", "background", "async_proxy"]

#: Layer backends the settings pick, without and with CHANNELS_REDIS_URL.
INMEMORY = "channels.layers.inmemory.InMemoryChannelLayer"
REDIS = "channels.layers.redis.RedisChannelLayer"

SHOW_SETTINGS = (
    "import importlib, json; settings = importlib.import_module({module!r}); "
    "layer = settings.CHANNEL_LAYERS['default']; "
    "print(json.dumps([layer['BACKEND'], layer['ROUTING'], layer.get('CONFIG', {{}}), "
    "settings.INSTALLED_APPS[0]]))"
)


def settings_of(project: str, tmp_path: Path, **env: str) -> list:
    code = SHOW_SETTINGS.format(module=f"{project}.settings")
    output = run_command(project, [sys.executable, "-c", code], example_env(tmp_path, **env))
    return json.loads(output)


@pytest.mark.parametrize("project", PROJECTS)
def test_the_settings_of_every_example_import_with_the_in_memory_layer_by_default(
    project: str, tmp_path: Path
) -> None:
    backend, routing, _, first_app = settings_of(project, tmp_path)
    assert backend == INMEMORY
    assert routing == f"{project}.routing.channel_routing"
    # First, so that `manage.py runserver` is the Channels one.
    assert first_app == "channels"


@pytest.mark.parametrize("project", PROJECTS)
def test_the_settings_of_every_example_switch_to_redis_on_channels_redis_url(
    project: str, tmp_path: Path
) -> None:
    url = "redis://127.0.0.1:6379/3"
    backend, _, config, _ = settings_of(project, tmp_path, CHANNELS_REDIS_URL=url)
    assert backend == REDIS
    assert config == {"hosts": [url], "prefix": f"{project}:"}


@pytest.mark.parametrize("project", PROJECTS)
def test_every_example_passes_djangos_checks_and_has_every_migration(
    project: str, tmp_path: Path
) -> None:
    env = example_env(tmp_path)
    output = run_command(project, manage(project, "check"), env)
    assert "System check identified no issues" in output
    run_command(project, manage(project, "makemigrations", "--check", "--dry-run"), env)


@pytest.mark.parametrize("project", PROJECTS)
def test_every_examples_readme_gives_the_commands_its_tests_run(project: str) -> None:
    readme = (EXAMPLES / project / "README.rst").read_text(encoding="utf-8")
    for command in (
        "python manage.py migrate && python manage.py runserver",
        "export CHANNELS_REDIS_URL=redis://127.0.0.1:6379",
        f"daphne {project}.asgi:channel_layer",
        "python manage.py runworker",
    ):
        assert command in readme, f"examples/{project}/README.rst lacks {command!r}"
    assert readme.count("python manage.py runworker") >= 2


def test_the_examples_index_names_every_example() -> None:
    index = (EXAMPLES / "README.rst").read_text(encoding="utf-8")
    folders = sorted(path.name for path in EXAMPLES.iterdir() if path.is_dir())
    for folder in folders:
        if not folder.startswith((".", "_")):
            assert f"``{folder}/``" in index, f"examples/README.rst does not list {folder}/"
