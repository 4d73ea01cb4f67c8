"""``runserver``'s banner says when the delay server runs beside it (``channels.delay`` is
installed, as in the background example) and says nothing of it otherwise (the chat)."""

from __future__ import annotations

from pathlib import Path

from .processes import example_env, runserver

DELAY_LINE = "Delay server running beside it (channels.delay)"


def test_the_banner_says_the_delay_server_runs_beside_runserver(tmp_path: Path) -> None:
    with runserver("background", example_env(tmp_path)) as site:
        banner = site.processes[0].output()
    assert DELAY_LINE in banner, banner


def test_the_banner_says_nothing_of_a_delay_server_without_channels_delay(
    tmp_path: Path,
) -> None:
    with runserver("chat", example_env(tmp_path)) as site:
        banner = site.processes[0].output()
    assert "Starting Channels development server" in banner
    assert DELAY_LINE not in banner, banner
