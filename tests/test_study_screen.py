"""The study screen driven through the real app with Pilot: every key, selection,
highlights, persistence, layout and untrusted text."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from core.library import Library
from core.models import Segment
from tests.tui_helpers import (
    Driven,
    add_transcript,
    make_segments,
    screen_text,
    send_burst,
    study_screen,
    type_into_focused_input,
    wait_until,
)
from tui.media import NO_VIDEO
from tui.screens.help import HelpScreen
from tui.screens.highlights import HighlightsScreen
from tui.screens.prompt import PromptScreen
from tui.screens.study import StudyScreen
from tui.widgets.search_bar import SearchBar
from tui.widgets.transcript_view import TranscriptView


@dataclass
class Study(Driven):
    screen: StudyScreen
    library: Library
    source_id: int

    @property
    def view(self) -> TranscriptView:
        return self.screen.transcript_view


@asynccontextmanager
async def open_study(segments: list[Segment] | None = None, **options: Any) -> AsyncIterator[Study]:
    async with study_screen(segments or make_segments(60), **options) as parts:
        yield Study(*parts)


def cursor_in_view(view: TranscriptView) -> bool:
    top = view.line_of_segment(view.cursor)
    return view.scroll_y <= top < view.scroll_y + view.scrollable_content_region.height


# -- moving -------------------------------------------------------------------------


async def test_cursor_keys_move_segment_by_segment_and_page() -> None:
    async with open_study(make_segments(200, words=20)) as study:
        view, press = study.view, study.pilot.press
        assert view.cursor == 0 and view.has_focus
        await press("j", "j", "down")
        assert view.cursor == 3
        await press("k", "up")
        assert view.cursor == 1
        await press("pagedown")
        after_page = view.cursor
        assert after_page > 5 and cursor_in_view(view)
        await press("pageup")
        assert view.cursor < after_page and cursor_in_view(view)
        await press("G")
        assert view.cursor == 199 and cursor_in_view(view)
        assert view.scroll_y == view.max_scroll_y
        await press("g")
        assert view.cursor == 0 and view.scroll_y == 0
        await press("end")
        assert view.cursor == 199
        await press("home")
        assert view.cursor == 0
        status = screen_text(study.app)
        assert "1/200" in status and "00:00:00" in status


async def test_the_first_screen_shows_time_stamps_and_text() -> None:
    async with open_study(make_segments(30, speakers=("Ann",)), title="Spacing talk") as study:
        text = screen_text(study.app)
        assert "[00:00:00] Ann: seg 0 alpha" in text
        assert "[00:00:03] seg 1 beta" in text  # speaker only when it changes
        assert "Spacing talk" in text
        chat = study.screen.chat_pane  # the right-hand pane (placeholder or the chat)
        assert chat.display and chat.region.width >= 30 and chat.region.x >= 60


# -- search -------------------------------------------------------------------------


async def test_search_is_incremental_counts_matches_and_wraps_with_n() -> None:
    segments = make_segments(50)
    for index in (5, 20, 40):
        segments[index] = Segment(
            f"Here the Forgetting curve {index}", index * 3.0, index * 3.0 + 3
        )
    async with open_study(segments) as study:
        view, press = study.view, study.pilot.press
        await press("j", "j", "j", "j", "j", "j", "j")  # cursor 7
        await press("slash")
        bar = study.screen.query_one(SearchBar)
        assert bar.is_open and view.has_focus
        await press("f", "o", "r")
        assert view.search_query == "for"
        await press("g", "e", "t")
        assert list(view.matches) == [5, 20, 40]
        assert view.cursor == 20  # first match at/after where the search began
        count = bar.query_one("#search-count").render()
        assert str(count) == "2/3"
        await press("enter")
        assert not bar.is_open and view.has_focus
        await press("n")
        assert view.cursor == 40
        await press("n")
        assert view.cursor == 5 and view.search_wrapped
        assert "/forget 1/3 (wrapped)" in screen_text(study.app)
        await press("N")
        assert view.cursor == 40
        await press("N", "N")
        assert view.cursor == 5
        # Matches are drawn in the match style on the rendered line.
        assert view._is_match(5)


async def test_search_escape_clears_matches_and_returns_to_the_start() -> None:
    async with open_study(make_segments(50)) as study:
        view, press = study.view, study.pilot.press
        await press("j", "j")
        await press("slash", "s", "e", "g", "space", "4", "0")
        assert view.cursor == 40
        await press("escape")
        assert view.cursor == 2 and not view.matches and view.search_query == ""
        assert not study.screen.query_one(SearchBar).is_open
        await press("slash", "n", "o", "p", "e", "x", "enter")
        assert view.cursor == 2 and not view.matches
        assert any("No match" in note for note in study.notes())


# -- time jump ----------------------------------------------------------------------


async def type_answer(study: Study, text: str) -> None:
    """Type into the prompt that is open and press Enter (one burst, then settle)."""
    await wait_until(study.pilot, lambda: isinstance(study.app.screen, PromptScreen))
    await type_into_focused_input(study.pilot, text)
    await wait_until(study.pilot, lambda: study.app.screen is study.screen)


async def test_t_jumps_to_the_segment_containing_a_time_in_every_format() -> None:
    async with open_study(make_segments(1300, words=3)) as study:
        # 3 s per segment: 3723 s is in segment 1241, 7 s in segment 2.
        cases = [("1:02:03", 1241), ("0:00:07", 2), ("62:03", 1241), ("0:07", 2),
                 ("3723", 1241), ("7", 2), ("1h2m3s", 1241)]  # fmt: skip
        for typed, segment in cases:
            await study.pilot.press("t")
            await type_answer(study, typed)
            assert study.view.cursor == segment, typed
            assert cursor_in_view(study.view)


async def test_t_with_bad_input_or_past_the_end_says_so_and_stays() -> None:
    async with open_study(make_segments(20)) as study:
        await study.pilot.press("j", "t")
        await type_answer(study, "soon")
        assert study.view.cursor == 1
        await wait_until(study.pilot, lambda: any("Not a time: 'soon'" in n for n in study.notes()))
        await study.pilot.press("t")
        await type_answer(study, "2:00:00")
        await wait_until(study.pilot, lambda: any("past the end" in n for n in study.notes()))
        assert study.view.cursor == 1
        await study.pilot.press("t", "escape")
        assert study.app.screen is study.screen and study.view.cursor == 1


async def test_untimed_transcripts_show_paragraphs_and_t_explains() -> None:
    async with open_study(make_segments(15, timed=False)) as study:
        assert "[¶1]  seg 0" in screen_text(study.app)
        await study.pilot.press("t")
        await study.pilot.pause()
        assert not isinstance(study.app.screen, PromptScreen)
        assert any("no timing" in note for note in study.notes())


# -- open, copy ---------------------------------------------------------------------


async def test_o_opens_the_youtube_video_at_the_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    async with open_study(make_segments(40), kind="youtube", video_id="dQw4w9WgXcQ") as study:
        monkeypatch.setattr(study.app, "open_url", lambda url, **_: opened.append(url))
        await study.pilot.press("j", "j", "j", "o")
        assert opened == ["https://youtu.be/dQw4w9WgXcQ?t=9"]
        assert "o Open video" in screen_text(study.app)


async def test_o_without_a_video_is_not_offered_but_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[str] = []
    async with open_study(make_segments(40)) as study:
        monkeypatch.setattr(study.app, "open_url", lambda url, **_: opened.append(url))
        await study.pilot.press("j", "o")
        await study.pilot.pause()
        assert opened == []
        assert "Open video" not in screen_text(study.app)
        assert study.notes() == [NO_VIDEO]


async def test_y_copies_the_cursor_segment_or_the_selection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    segments = [Segment(f"Sentence {i} \x1b[2J.", i * 4.0, i * 4.0 + 4) for i in range(10)]
    async with open_study(segments) as study:
        copied: list[str] = []
        monkeypatch.setattr(study.app, "copy_to_clipboard", copied.append)
        await study.pilot.press("j", "y")
        assert copied == ["Sentence 1 ␛[2J."]  # escapes travel inert
        await study.pilot.press("v", "j", "j", "y")
        assert copied[-1] == "Sentence 1 ␛[2J. Sentence 2 ␛[2J. Sentence 3 ␛[2J."
        assert study.view.selected_range() is None  # y leaves visual mode
        assert any("Copied" in note for note in study.notes())


# -- selection and highlights ----------------------------------------------------------


async def test_visual_selection_across_three_segments_becomes_a_highlight() -> None:
    async with open_study(make_segments(40)) as study:
        view, press = study.view, study.pilot.press
        await press("j", "j", "v", "j", "j")
        assert view.visual_mode and study.screen.selected_range() == (2, 4, None, None)
        assert "VISUAL 3 segment(s)" in screen_text(study.app)
        await press("h")
        stored = study.library.highlights(study.source_id)
        assert [(h.first_segment, h.last_segment, h.start_char, h.end_char) for h in stored] == [
            (2, 4, None, None)
        ]
        assert not view.visual_mode
        assert any("Highlighted 3 segments" in note for note in study.notes())
        # Drawn in the highlight colour.
        highlight_bg = view._style("highlight").bgcolor
        await press("j", "j")  # move the cursor off so the cursor colour does not cover it
        line = view.render_line(view.line_of_segment(3) - round(view.scroll_y))
        assert any(seg.style and seg.style.bgcolor == highlight_bg for seg in line)


async def test_escape_cancels_the_selection() -> None:
    async with open_study(make_segments(40)) as study:
        view, press = study.view, study.pilot.press
        await press("v", "j", "j")
        assert view.selected_range() == (0, 2, None, None)
        await press("escape")
        assert view.selected_range() is None and not view.visual_mode
        await press("h")  # without a selection h marks the cursor segment
        stored = study.library.highlights(study.source_id)
        assert [(h.first_segment, h.last_segment) for h in stored] == [(2, 2)]
        await press("h")
        assert len(study.library.highlights(study.source_id)) == 1
        assert any("Already highlighted" in note for note in study.notes())


async def test_mouse_drag_selects_part_of_segments_and_h_stores_char_offsets() -> None:
    segments = [Segment(f"alpha beta gamma delta {i}", i * 5.0, i * 5.0 + 5) for i in range(10)]
    async with open_study(segments) as study:
        pilot, view = study.pilot, study.view
        prefix = len("[00:00:00] ")
        await pilot.mouse_down(TranscriptView, offset=(prefix + 6, 1))  # "beta" in segment 1
        await pilot.hover(TranscriptView, offset=(prefix + 15, 2))  # through "gamma" in 2
        await pilot.mouse_up(TranscriptView, offset=(prefix + 15, 2))
        await wait_until(pilot, lambda: view.selected_range() is not None)
        assert study.screen.selected_range() == (1, 2, 6, 16)
        assert study.screen.selected_text() == "beta gamma delta 1 alpha beta gamma"
        await pilot.press("h")
        stored = study.library.highlights(study.source_id)
        assert [(h.first_segment, h.last_segment, h.start_char, h.end_char) for h in stored] == [
            (1, 2, 6, 16)
        ]
        assert any("(part)" in note for note in study.notes())


async def test_highlights_list_jumps_deletes_and_takes_notes() -> None:
    library = Library()
    source_id = add_transcript(library, make_segments(300))
    from core.models import Highlight

    for first in (10, 120, 250):
        library.add_highlight(Highlight(source_id, first, first + 1))
    async with open_study(library=library, source_id=source_id) as study:
        pilot = study.pilot
        await pilot.press("H")
        await wait_until(pilot, lambda: isinstance(study.app.screen, HighlightsScreen))
        assert "[00:00:30] seg 10" in screen_text(study.app)
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: study.app.screen is study.screen)
        assert study.view.cursor == 120 and cursor_in_view(study.view)
        assert study.view._flash == 120

        await pilot.press("H")
        await wait_until(pilot, lambda: isinstance(study.app.screen, HighlightsScreen))
        await pilot.press("down", "down", "d")
        assert [h.first_segment for h in library.highlights(source_id)] == [10, 120]
        await pilot.press("N")
        await wait_until(pilot, lambda: isinstance(study.app.screen, PromptScreen))
        await type_into_focused_input(pilot, "why [b]this[/b] matters")
        await wait_until(pilot, lambda: isinstance(study.app.screen, HighlightsScreen))
        assert [h.note for h in library.highlights(source_id)] == ["", "why [b]this[/b] matters"]
        assert "why [b]this[/b] matters" in screen_text(study.app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: study.app.screen is study.screen)
        assert len(study.view.highlights) == 2


async def test_highlights_and_position_survive_a_restart() -> None:
    library = Library()
    source_id = add_transcript(library, make_segments(500))
    async with open_study(library=library, source_id=source_id) as study:
        await study.pilot.press("G", "v", "k", "k", "h")
        await study.pilot.press("g", *["j"] * 7)
        assert study.view.cursor == 7
        await study.pilot.press("q")  # back to the library saves the position
        await wait_until(study.pilot, lambda: study.app.screen is not study.screen)
    library.close()

    reopened = Library()
    async with open_study(library=reopened, source_id=source_id) as study:
        assert study.view.cursor == 7 and cursor_in_view(study.view)
        spans = [(h.first_segment, h.last_segment) for h in study.view.highlights]
        assert spans == [(497, 499)]
        await study.pilot.press("j", "j")
        study.screen.save_cursor()
        assert reopened.cursor(source_id) == 9


# -- layout -------------------------------------------------------------------------


async def test_resize_keeps_the_cursor_segment_in_view() -> None:
    async with open_study(make_segments(600, words=25), size=(120, 30)) as study:
        await study.pilot.press(*["pagedown"] * 12)
        cursor, lines = study.view.cursor, study.view.line_count
        assert cursor_in_view(study.view)
        await study.pilot.resize_terminal(82, 24)
        await wait_until(study.pilot, lambda: study.view.line_count != lines)
        assert study.view.cursor == cursor and cursor_in_view(study.view)
        await study.pilot.resize_terminal(160, 40)
        await wait_until(study.pilot, lambda: study.view.line_count < lines)
        assert cursor_in_view(study.view)


async def test_narrow_terminals_show_one_pane_and_tab_switches() -> None:
    async with open_study(make_segments(40), size=(70, 24)) as study:
        screen, pilot = study.screen, study.pilot
        chat = screen.chat_pane
        assert screen.narrow and not chat.display and study.view.display
        assert "seg 0" in screen_text(study.app)
        await pilot.press("tab")
        assert chat.display and not screen.query_one("#transcript-pane").display
        assert chat.region.width == 70 and "seg 0" not in screen_text(study.app)
        await pilot.press("ctrl+w")
        assert study.view.has_focus and not chat.display
        await pilot.resize_terminal(100, 24)
        await pilot.pause()
        assert not screen.narrow and chat.display and study.view.display
        await pilot.press("tab")
        assert not study.view.has_focus and screen.focused is not None
        assert chat in screen.focused.ancestors_with_self


async def test_minimum_terminal_80x24_shows_both_panes() -> None:
    async with open_study(make_segments(40), size=(80, 24)) as study:
        assert not study.screen.narrow
        assert "seg 0" in screen_text(study.app)
        assert study.screen.chat_pane.display and study.screen.chat_pane.region.width > 20


# -- untrusted text -----------------------------------------------------------------


async def test_markup_and_escapes_in_text_and_title_are_literal() -> None:
    segments = [
        Segment("[bold]not bold[/bold] and [@click=app.quit]click me[/]", 0.0, 3.0),
        Segment("colour \x1b[31mred\x1b[0m and a stray [/] tag", 3.0, 6.0),
    ]
    async with open_study(segments, title="[b]Title[/b] \x1b[5m") as study:
        text = screen_text(study.app)
        assert "[b]Title[/b] ␛[5m" in text
        assert "[bold]not bold[/bold]" in text
        assert "[@click=app.quit]click me[/]" in text
        assert "␛[31mred␛[0m and a stray [/] tag" in text
        view = study.view
        rendered = "".join(seg.text for seg in view.render_line(0))
        assert "[bold]" in rendered and "\x1b" not in rendered
        start = len("[00:00:00] ") + segments[0].text.index("click me")
        await study.pilot.click(TranscriptView, offset=(start + 2, 0))
        await study.pilot.pause()
        assert study.app.is_running and study.app.screen is study.screen


# -- help, palette ------------------------------------------------------------------


async def test_question_mark_lists_the_active_keys() -> None:
    async with open_study(make_segments(20), kind="youtube", video_id="dQw4w9WgXcQ") as study:
        await study.pilot.press("question_mark")
        await wait_until(study.pilot, lambda: isinstance(study.app.screen, HelpScreen))
        help_text = study.app.screen.text
        for expected in ("Transcript", "j", "Down", "Study", "/", "Search", "Time",
                         "Open video", "Copy", "Highlight", "Highlights", "Pane", "Select",
                         "pgdn", "Page down", "Top", "Bottom", "Next match",
                         "Previous match"):  # fmt: skip
            assert expected in help_text
        await study.pilot.press("escape")
        await wait_until(study.pilot, lambda: study.app.screen is study.screen)


async def test_help_scrolls_with_j_and_k() -> None:
    async with open_study(make_segments(20), size=(80, 24)) as study:
        await study.pilot.press("question_mark")
        await wait_until(study.pilot, lambda: isinstance(study.app.screen, HelpScreen))
        body = study.app.screen.query_one("#help-body")
        assert body.max_scroll_y > 0  # the list is longer than the dialog
        await study.pilot.press("j", "j", "j")
        await wait_until(study.pilot, lambda: body.scroll_y == 3)
        await study.pilot.press("k")
        await wait_until(study.pilot, lambda: body.scroll_y == 2)
        assert isinstance(study.app.screen, HelpScreen)


async def test_command_palette_offers_the_study_actions() -> None:
    library = Library()
    source_id = add_transcript(library, make_segments(30))
    async with open_study(library=library, source_id=source_id) as study:
        pilot = study.pilot
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: study.app.screen is not study.screen)
        await pilot.press(*"Highlights")
        await pilot.pause(0.4)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(study.app.screen, HighlightsScreen))


async def test_public_api_for_other_screens() -> None:
    async with open_study(make_segments(100)) as study:
        screen: StudyScreen = study.screen
        assert screen.current_transcript is not None
        assert len(screen.current_transcript.segments) == 100
        screen.jump_to_segment(64)
        await study.pilot.pause()
        assert study.view.cursor == 64 and study.view._flash == 64 and cursor_in_view(study.view)
        await wait_until(study.pilot, lambda: study.view._flash is None, timeout=3)
        assert screen.selected_range() is None
        assert screen.selected_text().startswith("seg 64 ")


async def test_keys_typed_in_a_burst_around_the_search_land_in_the_right_place() -> None:
    async with open_study(make_segments(50)) as study:
        burst = [("slash", "/"), *[(c if c != " " else "space", c) for c in "seg 4"],
                 ("enter", None), ("n", "n")]  # fmt: skip
        send_burst(study.app, burst)
        await wait_until(study.pilot, lambda: study.view.cursor == 40)
        await study.pilot.pause()
        assert study.view.search_query == "seg 4"
        assert list(study.view.matches) == [4, *range(40, 50)]
        assert study.screen.search_bar.input.value == "seg 4"
        assert study.view.has_focus and study.view.cursor == 40
