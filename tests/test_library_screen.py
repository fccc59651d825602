"""Pilot tests for the library screen, the add dialog and the confirm modal: every key."""

from __future__ import annotations

import asyncio
import io
import sys
import threading
import types
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import DataTable, DirectoryTree, Input

from core.library import Library
from core.models import Segment, Source, Transcript
from core.textsafe import inert_line
from tests.tui_helpers import Notes
from tui.app import PonderApp
from tui.screens.add_source import AddSourceScreen, complete_path, looks_like_path
from tui.screens.confirm import ConfirmScreen
from tui.screens.library import (
    SELECTED_KEY,
    SORT_KEY,
    LibraryScreen,
    format_duration,
)

SIZE = (100, 30)


# -- helpers -----------------------------------------------------------------------------


async def wait_until(pilot: Pilot, predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    """Let the app run until `predicate()` holds (fails the test after `timeout`)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.02)
    await pilot.pause()  # let the new state paint


def screen_text(app: PonderApp) -> str:
    """What the terminal shows, as plain text (the same render as a screenshot)."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        record=True,
        color_system="truecolor",
        legacy_windows=False,
        safe_box=False,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text()


def make_transcript(
    title: str, *, minutes: float = 10, days_ago: int = 0, text: str | None = None
) -> Transcript:
    stamp = datetime(2026, 3, 10, 12, 0, tzinfo=UTC) - timedelta(days=days_ago)
    segments = [
        Segment(text or f"{title} part {i}", start=i * 60.0, end=(i + 1) * 60.0)
        for i in range(int(minutes))
    ]
    source = Source(title=title, origin=f"/tmp/{title}.srt", kind="file", imported_at=stamp)
    return Transcript(source, segments)


def add(library: Library, title: str, **kwargs: Any) -> int:
    return library.add(make_transcript(title, **kwargs)).source_id


def library_screen(app: PonderApp) -> LibraryScreen:
    screen = app.screen
    assert isinstance(screen, LibraryScreen), type(screen)
    return screen


def table(app: PonderApp) -> DataTable:
    return app.screen.query_one("#library-table", DataTable)


def cursor_id(app: PonderApp) -> int:
    screen = library_screen(app)
    return screen.shown_ids[table(app).cursor_row]


def titles(app: PonderApp) -> list[str]:
    screen = library_screen(app)
    return [row.source.title for row in screen._shown]


@pytest.fixture
def lib(library: Library) -> Library:
    return library


@pytest.fixture
def three(lib: Library) -> dict[str, int]:
    """Three transcripts besides the demo, with distinct durations, dates and highlights."""
    from core.demo import ensure_demo
    from core.models import Highlight

    ensure_demo(lib)
    ids = {
        "Alpha lecture": add(lib, "Alpha lecture", minutes=30, days_ago=3),
        "beta talk": add(lib, "beta talk", minutes=5, days_ago=1),
        "Gamma podcast": add(lib, "Gamma podcast", minutes=90, days_ago=2),
    }
    for _ in range(2):
        lib.add_highlight(Highlight(ids["beta talk"], 0, 1))
    lib.add_highlight(Highlight(ids["Gamma podcast"], 0, 0))
    return ids


@pytest.fixture
def fake_study(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stand-in StudyScreen while (or where) the real one is not importable."""
    try:
        import tui.screens.study  # noqa: F401
    except ImportError:
        from textual.screen import Screen

        module = types.ModuleType("tui.screens.study")

        class StudyScreen(Screen[None]):
            BINDINGS = [("escape", "app.pop_screen", "Back")]

            def __init__(self, source_id: int) -> None:
                super().__init__()
                self.source_id = source_id

        module.StudyScreen = StudyScreen  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "tui.screens.study", module)


# -- pure helpers ------------------------------------------------------------------------


def test_format_duration() -> None:
    assert format_duration(None) == "—"
    assert format_duration(59.9) == "0:00:59"
    assert format_duration(3723) == "1:02:03"
    assert format_duration(5197.9) == "1:26:37"  # truncated, as `ponder list` does


def test_looks_like_path_and_completion(tmp_path: Path) -> None:
    assert not looks_like_path("https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    assert not looks_like_path("dQw4w9WgXcQ")
    assert looks_like_path(str(tmp_path) + "/x")
    assert looks_like_path("~/talks")
    (tmp_path / "lecture-one.srt").write_text("x")
    (tmp_path / "lectures").mkdir()
    (tmp_path / "notes.txt").write_text("x")
    base = str(tmp_path) + "/"
    assert complete_path(base + "lecture-") == base + "lecture-one.srt"
    assert complete_path(base + "lectures") == base + "lectures/"
    assert complete_path(base + "lec") == base + "lecture"  # what the two matches share
    assert complete_path(base + "no") == base + "notes.txt"
    assert complete_path(base + "zzz") is None
    assert complete_path("https://youtu.be/abc") is None


# -- first run, selection, restart ----------------------------------------------------


async def test_first_run_shows_demo_selected() -> None:
    app = PonderApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = library_screen(app)
        demo_id = int(app.library.get_state("demo_seeded") or 0)
        assert screen.shown_ids == [demo_id]
        assert cursor_id(app) == demo_id
        assert app.focused is table(app)
        text = screen_text(app)
        assert "Ponder demo" in text
        assert "1 transcript" in text
        await pilot.press("q")
    assert app.return_code == 0


async def test_selection_survives_restart(lib: Library, three: dict[str, int]) -> None:
    app = PonderApp(library=lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "j")
        chosen = cursor_id(app)
    assert lib.get_state(SELECTED_KEY) == str(chosen)
    again = PonderApp(library=lib)
    async with again.run_test(size=SIZE):
        assert cursor_id(again) == chosen


async def test_vim_keys_move_the_cursor(lib: Library, three: dict[str, int]) -> None:
    app = PonderApp(library=lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        assert table(app).cursor_row == 0
        await pilot.press("j")
        assert table(app).cursor_row == 1
        await pilot.press("down")
        assert table(app).cursor_row == 2
        await pilot.press("k")
        assert table(app).cursor_row == 1
        await pilot.press("G")
        assert table(app).cursor_row == 3
        await pilot.press("up")
        assert table(app).cursor_row == 2
        await pilot.press("home")
        assert table(app).cursor_row == 0
        await pilot.press("end")
        assert table(app).cursor_row == 3
        await pilot.press("pageup")
        assert table(app).cursor_row == 0
        await pilot.press("pagedown")
        assert table(app).cursor_row == 3
        await pilot.press("ctrl+home")
        assert table(app).cursor_row == 0


# -- untrusted titles ------------------------------------------------------------------


async def test_titles_are_never_markup_or_escape_codes(lib: Library) -> None:
    hostile = [
        "[bold]Bold[/bold] title",
        "[@click=app.quit]x[/]",
        "stray [/] closer",
        "\x1b[31mred\x1b[0m \x1b]52;c;SGVsbG8=\x07clip",
    ]
    for i, title in enumerate(hostile):
        add(lib, title, days_ago=i)
    app = PonderApp(library=lib)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        text = screen_text(app)
        assert "[bold]Bold[/bold] title" in text
        assert "[@click=app.quit]x[/]" in text
        assert "stray [/] closer" in text
        assert "\x1b" not in text
        assert "␛[31mred␛[0m" in text
        # Clicking the would-be action does nothing but select the row.
        await pilot.click("#library-table", offset=(4, 2))
        await pilot.pause()
        assert app.is_running
        # Deleting it names the title verbatim in the confirmation and the notification.
        notes = Notes(app)
        target = lib.sources()[0]
        screen = library_screen(app)
        table(app).move_cursor(row=screen.shown_ids.index(int(target.id or 0)))
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await wait_until(pilot, lambda: inert_line(target.title) in screen_text(app))
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, LibraryScreen))
        assert notes.calls[-1]["message"] == f"Deleted: {inert_line(target.title)}"
        assert notes.calls[-1]["markup"] is False
        assert app.is_running


# -- sorting and filtering -------------------------------------------------------------


async def test_s_cycles_sort_columns_and_o_reverses(lib: Library, three: dict[str, int]) -> None:
    app = PonderApp(library=lib)
    async with app.run_test(size=SIZE) as pilot:
        # Default: newest first (the demo was added "now").
        assert titles(app)[1:] == ["beta talk", "Gamma podcast", "Alpha lecture"]
        await pilot.press("s")  # added -> highlights
        assert titles(app)[:2] == ["beta talk", "Gamma podcast"]
        assert "sorted by highlights" in screen_text(app)
        await pilot.press("s", "s", "s")  # cards, due, title
        assert titles(app) == sorted(titles(app), key=str.casefold)
        assert "Title ▲" in screen_text(app)
        await pilot.press("o")
        assert titles(app) == sorted(titles(app), key=str.casefold, reverse=True)
        assert "Title ▼" in screen_text(app)
        await pilot.press("s")  # -> duration, longest first
        assert titles(app)[:3] == ["Gamma podcast", "Alpha lecture", "beta talk"]
        await pilot.press("s", "s", "s", "s", "s")  # added, highlights, cards, due, title
        await pilot.press("o")
    assert lib.get_state(SORT_KEY) == "title:desc"
    again = PonderApp(library=lib)
    async with again.run_test(size=SIZE):
        assert titles(again) == sorted(titles(again), key=str.casefold, reverse=True)


async def test_sort_keeps_the_selected_row(lib: Library, three: dict[str, int]) -> None:
    app = PonderApp(library=lib)
    async with app.run_test(size=SIZE) as pilot:
        table(app).move_cursor(row=library_screen(app).shown_ids.index(three["beta talk"]))
        await pilot.pause()
        await pilot.press("s", "o", "s")
        assert cursor_id(app) == three["beta talk"]


async def test_clicking_a_header_sorts(lib: Library, three: dict[str, int]) -> None:
    app = PonderApp(library=lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#library-table", offset=(3, 0))  # the Title header
        await pilot.pause()
        assert titles(app) == sorted(titles(app), key=str.casefold)
        await pilot.click("#library-table", offset=(3, 0))
        await pilot.pause()
        assert titles(app) == sorted(titles(app), key=str.casefold, reverse=True)


@pytest.mark.parametrize("key", ["slash", "f"])
async def test_filter_as_you_type(lib: Library, three: dict[str, int], key: str) -> None:
    app = PonderApp(library=lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        field = app.screen.query_one("#library-filter", Input)
        assert app.focused is field
        await pilot.press("T", "a", "L")  # case-insensitive
        assert titles(app) == ["beta talk"]
        assert "1 of 4 transcripts" in screen_text(app)
        await pilot.press("k", "x")  # typed into the filter, not a cursor move
        assert field.value == "TaLkx"
        assert titles(app) == []
        assert "No titles match “TaLkx”" in screen_text(app)
        await pilot.press("backspace", "enter")  # Enter goes to the table
        assert app.focused is table(app)
        await pilot.press("escape")  # Esc clears
        assert field.value == ""
        assert len(titles(app)) == 4


async def test_slash_inside_the_filter_is_text(lib: Library) -> None:
    add(lib, "AC/DC live")
    app = PonderApp(library=lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", "c", "slash", "d")
        assert app.screen.query_one("#library-filter", Input).value == "c/d"
        assert titles(app) == ["AC/DC live"]


async def test_escape_in_filter_clears_and_down_goes_to_table(
    lib: Library, three: dict[str, int]
) -> None:
    app = PonderApp(library=lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"CAST")
        assert titles(app) == ["Gamma podcast"]
        await pilot.press("down")
        assert app.focused is table(app)
        await pilot.press("slash", "escape")
        assert app.screen.query_one("#library-filter", Input).value == ""
        assert app.focused is table(app)
        assert len(titles(app)) == 4


# -- open, delete ----------------------------------------------------------------------


async def test_enter_opens_the_study_screen(
    lib: Library, three: dict[str, int], fake_study: None
) -> None:
    app = PonderApp(library=lib)
    async with app.run_test(size=SIZE) as pilot:
        table(app).move_cursor(row=library_screen(app).shown_ids.index(three["Gamma podcast"]))
        await pilot.pause()
        await pilot.press("enter")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "StudyScreen")
        assert app.screen.source_id == three["Gamma podcast"]  # type: ignore[attr-defined]
        app.pop_screen()
        await wait_until(pilot, lambda: isinstance(app.screen, LibraryScreen))
        assert cursor_id(app) == three["Gamma podcast"]


async def test_counts_refresh_when_returning(
    lib: Library, three: dict[str, int], fake_study: None
) -> None:
    from core.models import Highlight

    app = PonderApp(library=lib)
    async with app.run_test(size=SIZE) as pilot:
        table(app).move_cursor(row=library_screen(app).shown_ids.index(three["Alpha lecture"]))
        await pilot.pause()
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, LibraryScreen))
        lib.add_highlight(Highlight(three["Alpha lecture"], 2, 3))
        app.pop_screen()
        await wait_until(pilot, lambda: isinstance(app.screen, LibraryScreen))
        await pilot.pause()
        row = table(app).get_row(str(three["Alpha lecture"]))
        assert row[3].plain == "1"


async def test_d_asks_then_deletes(lib: Library, three: dict[str, int]) -> None:
    app = PonderApp(library=lib)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        victim = three["beta talk"]
        table(app).move_cursor(row=library_screen(app).shown_ids.index(victim))
        await pilot.pause()
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await wait_until(pilot, lambda: "Delete “beta talk”?" in screen_text(app))
        # say what really happens: the cards stay (as "source gone"), they do not go
        message = app.screen.message  # type: ignore[attr-defined]
        assert "cards stay" in message and "source gone" in message
        assert "cards and chat go" not in message
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, LibraryScreen))
        assert lib.source(victim) is not None
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, LibraryScreen))
        assert lib.source(victim) is not None
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("enter")  # the focused button is "Keep": Enter never deletes
        await wait_until(pilot, lambda: isinstance(app.screen, LibraryScreen))
        assert lib.source(victim) is not None
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, LibraryScreen))
        assert lib.source(victim) is None
        assert lib.highlights(victim) == []
        assert victim not in library_screen(app).shown_ids
        assert len(titles(app)) == 3
        assert "Deleted: beta talk" in screen_text(app)


async def test_e_renames_the_selected_transcript(lib: Library, three: dict[str, int]) -> None:
    from tui.screens.prompt import PromptScreen

    app = PonderApp(library=lib)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        target = three["beta talk"]
        table(app).move_cursor(row=library_screen(app).shown_ids.index(target))
        await pilot.pause()
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        prompt = app.screen
        assert isinstance(prompt, PromptScreen) and prompt.input.value == "beta talk"
        prompt.input.value = "   "
        await pilot.press("enter")  # an empty title keeps the dialog open, with the reason
        await pilot.pause()
        assert app.screen is prompt and "cannot be empty" in screen_text(app)
        prompt.input.value = "Howard [bold]on[/] learning"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LibraryScreen))
        source = lib.source(target)
        assert source is not None and source.title == "Howard [bold]on[/] learning"
        assert "Howard [bold]on[/] learning" in titles(app)
        assert library_screen(app).selected_source == source
        assert "Renamed: Howard [bold]on[/] learning" in screen_text(app)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, LibraryScreen))
        assert lib.source(target) == source


async def test_deleting_everything_shows_a_hint(lib: Library) -> None:
    app = PonderApp(library=lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, LibraryScreen))
        assert lib.sources() == []
        assert "No transcripts yet. Press a to add" in screen_text(app)
        notes = Notes(app)
        await pilot.press("d", "enter")
        assert isinstance(app.screen, LibraryScreen)
        assert notes.messages[-2:] == [
            "Nothing to delete.",
            "Nothing to open: add a transcript with a.",
        ]


# -- the confirm modal on its own ------------------------------------------------------


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["y"], True),
        (["n"], False),
        (["escape"], False),
        (["enter"], False),
        (["left", "enter"], True),
        (["tab", "enter"], True),
    ],
)
async def test_confirm_screen_keys(keys: list[str], expected: bool) -> None:
    app = PonderApp()
    results: list[bool | None] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(ConfirmScreen("Really [bold]?[/]"), results.append)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await wait_until(pilot, lambda: "Really [bold]?[/]" in screen_text(app))
        await pilot.press(*keys)
        await wait_until(pilot, lambda: bool(results))
    assert results == [expected]


# -- the add dialog --------------------------------------------------------------------


class FakeImporter:
    """Stands in for core.importer: controllable speed and failures, records calls."""

    def __init__(self, lib_transcript: Callable[[str], Transcript]) -> None:
        self.calls: list[str] = []
        self.release = threading.Event()
        self.release.set()
        self.module = types.ModuleType("core.importer")

        class ImportFailed(Exception):
            pass

        def import_source(text: str, **kwargs: Any) -> Transcript:
            self.calls.append(text)
            if not self.release.wait(5):
                raise ImportFailed("timed out in the test")
            if text.startswith("fail"):
                raise ImportFailed("No transcript for that video: [red]captions disabled[/]")
            if text.startswith("boom"):
                raise RuntimeError("unexpected")
            return lib_transcript(text)

        self.module.ImportFailed = ImportFailed  # type: ignore[attr-defined]
        self.module.import_source = import_source  # type: ignore[attr-defined]
        self.module.stored_video = lambda library, text: None  # type: ignore[attr-defined]


@pytest.fixture
def importer(monkeypatch: pytest.MonkeyPatch) -> FakeImporter:
    fake = FakeImporter(lambda text: make_transcript(f"Fetched {text}", minutes=3))
    monkeypatch.setitem(sys.modules, "core.importer", fake.module)
    return fake


async def open_add(app: PonderApp, pilot: Pilot) -> AddSourceScreen:
    await pilot.press("a")
    await wait_until(pilot, lambda: isinstance(app.screen, AddSourceScreen))
    screen = app.screen
    assert isinstance(screen, AddSourceScreen)
    return screen


async def test_a_adds_and_selects_the_new_row(lib: Library, importer: FakeImporter) -> None:
    app = PonderApp(library=lib)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        notes = Notes(app)
        await open_add(app, pilot)
        await pilot.press(*"[b]x")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LibraryScreen))
        assert importer.calls == ["[b]x"]
        new = next(s for s in lib.sources() if s.title == "Fetched [b]x")
        assert cursor_id(app) == new.id
        assert notes.calls[-1]["message"] == "Added: Fetched [b]x"
        assert notes.calls[-1]["markup"] is False
        assert "Added: Fetched [b]x" in screen_text(app)
        # The same again: found, selected, and said so; nothing duplicated.
        table(app).move_cursor(row=0)
        await open_add(app, pilot)
        await pilot.press(*"[b]x", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LibraryScreen))
        assert cursor_id(app) == new.id
        assert notes.messages[-1] == "Already in the library: Fetched [b]x"
        assert sum(s.title == "Fetched [b]x" for s in lib.sources()) == 1


async def test_add_failure_is_a_readable_notification(lib: Library, importer: FakeImporter) -> None:
    app = PonderApp(library=lib)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        notes = Notes(app)
        screen = await open_add(app, pilot)
        await pilot.press(*"fail-video", "enter")
        await wait_until(pilot, lambda: bool(notes.calls))
        call = notes.calls[-1]
        assert call["message"] == "No transcript for that video: [red]captions disabled[/]"
        assert call["severity"] == "error" and call["markup"] is False
        await wait_until(pilot, lambda: not screen.busy)
        assert app.screen is screen  # still open, input kept for a fix
        field = screen.query_one("#add-input", Input)
        assert field.value == "fail-video" and not field.disabled
        # An unexpected exception is still one line, not a traceback.
        field.value = "boom"
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(notes.calls) == 2)
        assert notes.messages[-1] == "Could not add it: unexpected"
        assert len(lib.sources()) == 1  # only the demo


async def test_escape_cancels_a_fetch_and_stores_nothing(
    lib: Library, importer: FakeImporter
) -> None:
    importer.release.clear()
    app = PonderApp(library=lib)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        notes = Notes(app)
        screen = await open_add(app, pilot)
        await pilot.press(*"slowvideo1", "enter")
        await wait_until(pilot, lambda: screen.busy and bool(importer.calls))
        assert "Fetching transcript…" in screen_text(app)
        await pilot.press("escape")
        assert not screen.busy
        assert notes.messages[-1] == "Import cancelled; nothing was added."
        importer.release.set()  # the fetch finishes after the cancel: its result is dropped
        await pilot.pause(0.3)
        assert app.screen is screen
        assert [s.title for s in lib.sources()] == [lib.sources()[0].title]
        assert len(lib.sources()) == 1
        await pilot.press("escape")  # a second Esc closes the dialog
        await wait_until(pilot, lambda: isinstance(app.screen, LibraryScreen))


async def test_empty_input_warns(lib: Library, importer: FakeImporter) -> None:
    app = PonderApp(library=lib)
    async with app.run_test(size=SIZE) as pilot:
        notes = Notes(app)
        await open_add(app, pilot)
        await pilot.press("enter")
        assert notes.messages == ["Type a YouTube URL or id, or a file path."]
        assert importer.calls == []


async def test_tab_completes_a_path(lib: Library, tmp_path: Path) -> None:
    (tmp_path / "talks").mkdir()
    (tmp_path / "talks" / "keynote.srt").write_text("1\n")
    app = PonderApp(library=lib)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_add(app, pilot)
        field = screen.query_one("#add-input", Input)
        field.value = str(tmp_path) + "/ta"
        field.cursor_position = len(field.value)
        await wait_until(pilot, lambda: bool(field._suggestion))
        await pilot.press("tab")
        assert field.value == str(tmp_path) + "/talks/"
        await wait_until(pilot, lambda: field._suggestion.endswith("keynote.srt"))
        await pilot.press("tab")
        assert field.value == str(tmp_path / "talks" / "keynote.srt")
        assert app.focused is field
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, LibraryScreen))


async def test_the_file_browser_shows_names_verbatim(lib: Library, tmp_path: Path) -> None:
    folder = tmp_path / "hostile"
    folder.mkdir()
    # File names cannot hold "/", so "[/]" closers are spelt "[] " and "[/bold]"-free.
    created = ["[@click=app.quit]x[] end.srt", "stray [] end.srt", "[bold]b[] end.srt"]
    for name in created:
        (folder / name).write_text("1\n")
    (folder / "esc\x1b[31mred.srt").write_text("1\n")
    app = PonderApp(library=lib)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await open_add(app, pilot)
        screen.query_one("#add-input", Input).value = str(folder) + "/"
        await pilot.press("ctrl+o")
        tree = screen.query_one("#add-browser", DirectoryTree)
        await wait_until(
            pilot, lambda: tree.root.data.path == folder and len(tree.root.children) == 4
        )
        text = screen_text(app)
        for name in created:
            assert name in text
        assert "esc␛[31mred.srt" in text
        await pilot.click("#add-browser", offset=(6, 1))
        await pilot.pause()
        assert app.is_running


async def test_ctrl_o_browses_for_a_file(lib: Library, tmp_path: Path) -> None:
    tmp_path = tmp_path / "picks"
    tmp_path.mkdir()
    (tmp_path / "only.vtt").write_text("WEBVTT\n")
    app = PonderApp(library=lib)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_add(app, pilot)
        field = screen.query_one("#add-input", Input)
        field.value = str(tmp_path) + "/"
        await pilot.press("ctrl+o")
        tree = screen.query_one("#add-browser", DirectoryTree)
        assert tree.display and app.focused is tree
        await wait_until(
            pilot, lambda: tree.root.data.path == tmp_path and len(tree.root.children) > 0
        )
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: field.value.endswith("only.vtt"))
        assert not tree.display and app.focused is field
        await pilot.press("ctrl+o")
        assert tree.display
        await pilot.press("escape")  # closes the browser first
        assert not tree.display and isinstance(app.screen, AddSourceScreen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, LibraryScreen))


SRT = """1
00:00:01,000 --> 00:00:04,000
Spacing beats cramming.

2
00:00:04,000 --> 00:01:09,500
[bold]Retrieval[/bold] practice \x1b[31mhelps\x1b[0m too.
"""


async def test_adding_a_real_file(lib: Library, tmp_path: Path) -> None:
    """The real importer end to end: type a path, Enter, the new row is selected."""
    path = tmp_path / "[b]memory talk.srt"
    path.write_text(SRT, encoding="utf-8")
    app = PonderApp(library=lib)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        notes = Notes(app)
        screen = await open_add(app, pilot)
        screen.query_one("#add-input", Input).value = str(path)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LibraryScreen), timeout=10)
        added = [s for s in lib.sources() if s.kind != "demo"]
        assert len(added) == 1
        assert cursor_id(app) == added[0].id
        assert notes.messages[-1] == f"Added: {inert_line(added[0].title)}"
        assert "0:01:09" in screen_text(app)
        # A missing file is one readable error line; the dialog stays open.
        await open_add(app, pilot)
        screen = app.screen
        screen.query_one("#add-input", Input).value = str(tmp_path / "missing.srt")
        await pilot.press("enter")
        await wait_until(pilot, lambda: notes.calls[-1].get("severity") == "error")
        assert "missing.srt" in notes.messages[-1]
        assert "\n" not in notes.messages[-1]
        assert isinstance(app.screen, AddSourceScreen)


# -- card counts ------------------------------------------------------------------------


async def test_cards_column_counts_the_sources_cards(lib: Library, three: dict[str, int]) -> None:
    from decks.models import SourceRef
    from decks.repository import CardStore

    store = CardStore(lib.conn)
    ref = SourceRef(three["Alpha lecture"], "Alpha lecture")
    store.create_note("basic", "What is spacing?", "Reviews spread over time.", source=ref)
    store.create_note("reversed", "Ebbinghaus", "Forgetting curve", source=ref)
    app = PonderApp(library=lib)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        row = table(app).get_row(str(three["Alpha lecture"]))
        assert [cell.plain for cell in row[4:]] == ["3", "3"]  # new cards are there today
        assert table(app).get_row(str(three["beta talk"]))[4].plain == "0"


async def test_due_column_counts_what_review_would_show_today(
    lib: Library, three: dict[str, int]
) -> None:
    """From the real store: due and new-within-the-limit count; later, suspended and
    buried cards and new cards past the daily limit do not."""
    from datetime import timedelta

    from core import clock
    from core.config import Config
    from decks.models import SourceRef, to_db_time
    from decks.repository import CardStore

    store = CardStore(lib.conn)
    ref = SourceRef(three["Gamma podcast"], "Gamma podcast")
    ids = [store.create_note("basic", f"q{n}", "a", source=ref).card_ids[0] for n in range(7)]
    now = clock.now()
    past, future = to_db_time(now - timedelta(days=1)), to_db_time(now + timedelta(days=5))
    review = "UPDATE cards SET state = 2, stability = 3, difficulty = 5, due = ? WHERE id = ?"
    with lib.conn:
        lib.conn.execute(review, (past, ids[0]))  # due: counts
        lib.conn.execute(review, (future, ids[1]))  # not yet due
        lib.conn.execute(review, (past, ids[2]))
        lib.conn.execute("UPDATE cards SET suspended = 1 WHERE id = ?", (ids[2],))
        lib.conn.execute(review, (past, ids[3]))
        lib.conn.execute(
            "UPDATE cards SET buried_until = ? WHERE id = ?",
            (to_db_time(now + timedelta(days=1)), ids[3]),
        )
    # ids[4:] are three new cards; the daily limit lets two in.
    app = PonderApp(library=lib, config=Config(new_per_day=2))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("s", "s", "s")  # highlights, cards, due (most due first)
        assert titles(app)[0] == "Gamma podcast"
        row = table(app).get_row(str(three["Gamma podcast"]))
        assert [cell.plain for cell in row[4:]] == ["7", "3"]  # 1 due review + 2 new


async def test_a_redraw_keeps_a_cursor_move_whose_message_is_still_queued(
    lib: Library, three: dict[str, int]
) -> None:
    """The card counts arrive after the first paint and redraw the table: a key pressed
    before then must not be undone (this raced under load)."""
    app = PonderApp(library=lib)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: table(app).row_count == 4)
        screen = library_screen(app)
        target = three["Gamma podcast"]
        assert cursor_id(app) != target
        table(app).move_cursor(row=screen.shown_ids.index(target))
        screen.reload()  # before the RowHighlighted message is handled
        assert cursor_id(app) == target
        await pilot.pause()
        assert cursor_id(app) == target and screen.selected_source.id == target


async def test_a_transcript_added_in_another_terminal_appears(
    lib: Library, three: dict[str, int], tmp_path: Path
) -> None:
    """`ponder add` in another terminal commits on its own connection: the open library
    notices within a few seconds, without a key."""
    from tui.cli import main

    app = PonderApp(library=lib)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: table(app).row_count == 4)
        talk = tmp_path / "other terminal.srt"
        talk.write_text("1\n00:00:01,000 --> 00:00:03,000\nHello from elsewhere\n")
        assert main(["add", str(talk), "--title", "Added elsewhere"]) == 0
        await wait_until(pilot, lambda: "Added elsewhere" in titles(app), timeout=20)
        assert table(app).row_count == 5


async def test_tab_with_several_matching_files_lists_and_cycles_them(
    lib: Library, tmp_path: Path
) -> None:
    """As in a shell: Tab extends to what the matches share, lists them, then each Tab
    takes the next one (it never silently takes the first)."""
    for name in ("lecture-01.srt", "lecture-02.srt", "lecture-10.vtt"):
        (tmp_path / name).write_text("1\n")
    app = PonderApp(library=lib)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_add(app, pilot)
        field = screen.query_one("#add-input", Input)
        base = str(tmp_path) + "/"
        field.value = base + "lec"
        field.cursor_position = len(field.value)
        await pilot.press("tab")
        assert field.value == base + "lecture-"  # what all three share
        await wait_until(pilot, lambda: "Several match" in screen_text(app))
        text = screen_text(app)
        assert all(name in text for name in ("lecture-01.srt", "lecture-02.srt", "lecture-10.vtt"))
        seen = []
        for _ in range(4):
            await pilot.press("tab")
            seen.append(field.value)
        assert seen == [base + "lecture-01.srt", base + "lecture-02.srt",
                        base + "lecture-10.vtt", base + "lecture-01.srt"]  # fmt: skip
        assert app.focused is field
        await pilot.press("x")  # typing ends the cycle and hides the list
        await wait_until(pilot, lambda: "Several match" not in screen_text(app))
