"""Pilot tests for the app shell: quitting, help, the command palette, themes, start-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from textual.command import CommandPalette

from core import config as config_store
from core.config import Config
from tests.test_library_screen import screen_text, wait_until
from tui.app import LOG_NAME, PonderApp, screen_commands
from tui.screens.add_source import AddSourceScreen
from tui.screens.library import LibraryScreen


@pytest.mark.parametrize("key", ["q", "ctrl+q"])
async def test_quit_keys(key: str) -> None:
    app = PonderApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(key)
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0


async def test_q_in_the_filter_types_instead_of_quitting() -> None:
    app = PonderApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("slash", "q")
        assert app.is_running
        assert app.screen.query_one("#library-filter").value == "q"


async def test_question_mark_toggles_help_listing_screen_keys() -> None:
    app = PonderApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: not isinstance(app.screen, LibraryScreen))
        text = app.screen.text  # the help's whole text (it scrolls)
        for description in ("Add", "Delete", "Sort", "Reverse order", "Filter", "Open", "Quit"):
            assert description in text
        assert "Cursor left" not in text  # no column movement in a list of rows
        assert "Open" in screen_text(app)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, LibraryScreen))


async def test_palette_lists_every_library_action() -> None:
    app = PonderApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        titles = {command.title: command.help for command in screen_commands(app, app.screen)}
        expected = {
            "Open", "Add", "Delete", "Sort", "Reverse order", "Filter", "Settings", "Help",
            "Review", "Stats",
        }  # fmt: skip
        assert expected <= set(titles)
        assert titles["Filter"] == "Key: /, f"
        assert "Quit" not in titles  # Textual's own "Quit" system command covers it
        # The full system command list keeps Textual's commands too.
        names = [command.title for command in app.get_system_commands(app.screen)]
        assert "Theme" in names and "Quit" in names and "Add" in names
        assert len(names) == len(set(names))


async def test_palette_runs_a_screen_action() -> None:
    app = PonderApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"Reverse order")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LibraryScreen))
        assert "ascending" in screen_text(app)  # the default "newest first", reversed
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"Add")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, AddSourceScreen))


@pytest.mark.parametrize(
    ("key", "screen_name"),
    [("r", "ReviewScreen"), ("S", "StatsScreen"), ("comma", "SettingsScreen")],
)
async def test_keys_open_the_other_screens(key: str, screen_name: str) -> None:
    app = PonderApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(key)
        await wait_until(pilot, lambda: type(app.screen).__name__ == screen_name)
        if key == "S":  # one stats screen at a time
            await pilot.press("S")
            assert len(app.screen_stack) == 2


async def test_theme_from_config_is_applied_and_changes_are_saved(ponder_home: Path) -> None:
    config_store.save(Config(theme="nord"))
    app = PonderApp()
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.theme == "nord"
        app.theme = "gruvbox"
        await pilot.pause()
    assert config_store.load().theme == "gruvbox"
    assert 'theme = "gruvbox"' in (ponder_home / "config.toml").read_text()


async def test_theme_picked_in_the_palette_persists() -> None:
    app = PonderApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"theme")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        await pilot.press(*"dracula")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.theme == "dracula")
    assert config_store.load().theme == "dracula"


async def test_unknown_theme_in_config_falls_back_to_default(ponder_home: Path) -> None:
    (ponder_home / "config.toml").write_text('theme = "no-such-theme"\n')
    app = PonderApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.theme == "textual-dark"
    # Starting did not rewrite the user's file with the fallback.
    assert (ponder_home / "config.toml").read_text() == 'theme = "no-such-theme"\n'


async def test_minimum_terminal_80x24_shows_table_and_footer() -> None:
    app = PonderApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lines = screen_text(app).splitlines()
        assert len(lines) == 24
        assert all(len(line) <= 80 for line in lines)
        text = "\n".join(lines)
        assert "Ponder demo" in text and "Duration" in text and "Due" in text
        assert "Add" in lines[-1] and "Quit" in lines[-1]
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AddSourceScreen))
        assert "Add a transcript" in screen_text(app)
        assert "Esc cancel" in screen_text(app)


async def test_startup_time_is_logged(ponder_home: Path) -> None:
    app = PonderApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.startup_ms is not None)
    log = (ponder_home / LOG_NAME).read_text()
    assert "started in" in log and log.strip().endswith("ms")


async def test_apply_theme_previews_without_saving(ponder_home: Path) -> None:
    app = PonderApp()
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.apply_theme("nord", persist=False)
        await pilot.pause()
        assert app.theme == "nord"
        assert not (ponder_home / "config.toml").exists()
        assert not app.apply_theme("no-such-theme")
        assert app.theme == "nord"
        assert app.apply_theme("gruvbox")
        await pilot.pause()
    assert config_store.load().theme == "gruvbox"


async def test_startup_log_is_capped(ponder_home: Path) -> None:
    from tui.app import LOG_MAX_BYTES

    log = ponder_home / LOG_NAME
    log.write_text("".join(f"old line {i}\n" for i in range(LOG_MAX_BYTES // 8)))
    app = PonderApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.startup_ms is not None)
    text = log.read_text()
    assert len(text) < LOG_MAX_BYTES
    assert text.rstrip().endswith("ms") and "old line 0\n" not in text


def test_startup_imports_stay_lean(ponder_home: Path) -> None:
    """Importing the app (what `ponder` does first) loads neither anthropic nor other screens."""
    code = (
        "import json, sys, tui.app; "
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.startswith(('anthropic', 'tui.screens', 'youtube_transcript_api', 'requests')))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PONDER_HOME": str(ponder_home)},
    )
    assert json.loads(result.stdout) == []


EXPORT_TITLES = {"Export cards to Anki (.apkg)", "Export cards as Anki text"}


@pytest.mark.parametrize("key", [None, "B", "r", "S"])
async def test_the_palette_lists_ponders_actions_and_the_exports_on_every_screen(
    key: str | None,
) -> None:
    """Ponder's own actions, exports included, and none of Textual's cursor actions."""
    from textual.widgets import DataTable

    from tui.screens.help import BindingCommands

    internal = {"Cursor up", "Cursor down", "Cursor left", "Cursor right", "Select"}
    internal |= {"Scroll Up", "Scroll Down", "Scroll Home", "Scroll End", "Scroll Left"}
    assert internal & {b.description for b in DataTable.BINDINGS if hasattr(b, "description")}
    app = PonderApp()
    async with app.run_test(size=(100, 30)) as pilot:
        if key:
            await pilot.press(key)
            await wait_until(pilot, lambda: not isinstance(app.screen, LibraryScreen))
        await pilot.pause()
        names = {command.title for command in app.get_system_commands(app.screen)}
        if BindingCommands in app.screen.COMMANDS:
            provider = BindingCommands(app.screen)
            names |= {name for name, *_rest in provider._commands()}
        assert names >= EXPORT_TITLES
        assert not names & internal, names & internal
        assert "Help" in names or "Close" in names


async def test_exporting_cards_from_the_palette(tmp_path: Path, ponder_home: Path) -> None:
    import zipfile

    from decks.repository import CardStore
    from tui.screens.prompt import PromptScreen

    app = PonderApp()
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        CardStore(app.library.conn).create_note("basic", "Spacing?", "Reviews spread out")
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"Export cards to Anki")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        out = tmp_path / "mine.apkg"
        app.screen.input.value = str(out)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_until(pilot, lambda: out.exists(), timeout=30)
        assert "collection.anki2" in zipfile.ZipFile(out).namelist()
        await wait_until(pilot, lambda: "1 notes (1 cards) written" in screen_text(app))
