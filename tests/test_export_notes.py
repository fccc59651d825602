"""`E` on the study screen writes the transcript's study notes as Markdown."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from core.library import Library
from core.models import Highlight
from tests.tui_helpers import add_transcript, make_segments, notifications, wait_until
from tui.app import PonderApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.export_notes import default_path
from tui.screens.prompt import PromptScreen
from tui.screens.study import StudyScreen


async def _open(app: PonderApp, source_id: int, pilot) -> StudyScreen:
    screen = StudyScreen(source_id)
    app.push_screen(screen)
    await wait_until(pilot, lambda: app.screen is screen and screen.transcript_view.line_count)
    return screen


async def _export_to(app: PonderApp, pilot, path: Path) -> None:
    await pilot.press("E")
    await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
    app.screen.query_one(Input).value = str(path)
    await pilot.press("enter")


async def test_export_writes_notes_and_asks_before_overwriting(tmp_path: Path) -> None:
    library = Library()
    source_id = add_transcript(library, make_segments(20), title="Talk [bold]x[/]")
    library.add_highlight(Highlight(source_id, 3, 4, note="remember this"))
    app = PonderApp(library=library)
    out = tmp_path / "notes.md"
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await _open(app, source_id, pilot)
        await _export_to(app, pilot, out)
        await wait_until(pilot, out.exists)
        text = out.read_text()
        assert "Talk" in text and "remember this" in text
        await wait_until(pilot, lambda: any("notes.md" in n for n in notifications(app)))

        out.write_text("mine")
        await _export_to(app, pilot, out)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")  # keep my file
        await pilot.pause()
        assert out.read_text() == "mine"
        await _export_to(app, pilot, out)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: out.read_text() != "mine")
        assert "remember this" in out.read_text()


async def test_export_to_a_missing_folder_says_why(tmp_path: Path) -> None:
    library = Library()
    source_id = add_transcript(library, make_segments(5))
    app = PonderApp(library=library)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        screen = await _open(app, source_id, pilot)
        await _export_to(app, pilot, tmp_path / "nowhere" / "notes.md")
        await wait_until(pilot, lambda: any("does not exist" in n for n in notifications(app)))
        assert app.screen is screen and app.is_running


def test_default_path_is_a_safe_file_name(tmp_path: Path) -> None:
    assert default_path("a/b: c?*", tmp_path) == tmp_path / "ab-c.md"
    assert default_path("///", tmp_path) == tmp_path / "ponder-notes.md"
