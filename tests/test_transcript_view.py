"""TranscriptView: wrapping, line/segment mapping, rendering untrusted text, selection,
search and reflow, in a tiny app that holds only the view."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from textual.app import App, ComposeResult

from core.durations import parse_clock
from core.models import Highlight, Segment, Source, Transcript
from tests.tui_helpers import make_segments, wait_until
from tui.widgets.line_wrap import wrap_starts
from tui.widgets.transcript_view import TranscriptView

# -- parse_clock ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1:02:03", 3723),
        ("62:03", 3723),
        ("3723", 3723),
        ("1h2m3s", 3723),
        ("1h", 3600),
        ("2m30s", 150),
        ("45s", 45),
        (" 0:00:07 ", 7),
        ("1:02:03.5", 3723.5),
    ],
)
def test_parse_clock_accepts_the_documented_formats(text: str, seconds: float) -> None:
    assert parse_clock(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "1:2:3:4", "1:60", "5:61:00", "-3", "1h2x", "::"])
def test_parse_clock_rejects_other_text_with_a_message(text: str) -> None:
    with pytest.raises(ValueError, match="Not a time"):
        parse_clock(text)


# -- wrapping -----------------------------------------------------------------------


def _lines(text: str, first: int, rest: int) -> list[str]:
    starts = wrap_starts(text, first, rest)
    ends = [*starts[1:], len(text)]
    return [text[a:b] for a, b in zip(starts, ends, strict=True)]


def test_wrap_breaks_at_spaces_and_respects_the_first_line_width() -> None:
    lines = _lines("the quick brown fox jumps over the lazy dog", 10, 20)
    assert lines == ["the quick ", "brown fox jumps over ", "the lazy dog"]


def test_wrap_splits_words_longer_than_a_line_and_honours_newlines() -> None:
    assert _lines("abcdefghij", 4, 4) == ["abcd", "efgh", "ij"]
    assert _lines("one\ntwo three", 20, 20) == ["one\n", "two three"]


def test_wrap_measures_wide_characters_in_cells() -> None:
    lines = _lines("日本語のテキストです", 6, 6)
    assert all(cell_len(line) <= 6 for line in lines)
    assert "".join(lines) == "日本語のテキストです"


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("ab c\n日é")), max_size=80),
    first=st.integers(1, 12),
    rest=st.integers(2, 12),
)
def test_wrap_covers_the_text_and_fits_the_width(text: str, first: int, rest: int) -> None:
    lines = _lines(text, first, rest)
    assert "".join(lines) == text
    for number, line in enumerate(lines):
        width = first if number == 0 else rest
        visible = line.rstrip("\n").rstrip(" ")
        # A single wide character may exceed a one-cell line; nothing else may.
        assert cell_len(visible) <= max(width, 2)


# -- the widget ---------------------------------------------------------------------


class ViewApp(App[None]):
    def __init__(
        self, transcript: Transcript, cursor: int = 0, highlights: tuple[Highlight, ...] = ()
    ) -> None:
        super().__init__()
        self.transcript = transcript
        self.start_cursor = cursor
        self.start_highlights = highlights

    def compose(self) -> ComposeResult:
        yield TranscriptView(
            self.transcript, cursor=self.start_cursor, highlights=self.start_highlights, id="v"
        )

    @property
    def view(self) -> TranscriptView:
        return self.query_one(TranscriptView)


def transcript_of(segments: list[Segment], kind: str = "file") -> Transcript:
    return Transcript(Source(title="t", origin="tests", kind=kind, id=1), segments)


def strip_text(view: TranscriptView, y: int) -> str:
    return "".join(segment.text for segment in view.render_line(y))


async def test_line_and_segment_mapping_agree_for_every_segment() -> None:
    app = ViewApp(transcript_of(make_segments(300, words=25)))
    async with app.run_test(size=(70, 20)) as pilot:
        view = app.view
        await wait_until(pilot, lambda: view.line_count > 0)
        assert view.line_count > 300  # long segments wrap
        for index in range(300):
            first = view.line_of_segment(index)
            assert view.segment_at_line(first) == index
            assert view.line_text(first).startswith(f"[{_clock(index * 3)}] seg {index} ")


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


async def test_speaker_is_shown_only_when_it_changes() -> None:
    segments = make_segments(7, words=2, speakers=("Ann", "Bob"))
    app = ViewApp(transcript_of(segments))
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.view
        await wait_until(pilot, lambda: view.line_count > 0)
        firsts = [view.line_text(view.line_of_segment(i)) for i in range(7)]
        assert [("Ann: " in line, "Bob: " in line) for line in firsts] == [
            (True, False), (False, False), (False, False),
            (False, True), (False, False), (False, False),
            (True, False),
        ]  # fmt: skip


async def test_untimed_transcripts_show_paragraph_numbers() -> None:
    app = ViewApp(transcript_of(make_segments(12, timed=False, words=2)))
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.view
        await wait_until(pilot, lambda: view.line_count > 0)
        assert not view.timed
        assert strip_text(view, 0).startswith("[¶1]  seg 0")
        assert strip_text(view, 11).startswith("[¶12] seg 11")


async def test_markup_and_escape_sequences_are_shown_literally() -> None:
    hostile = "[bold]loud[/bold] [@click=app.quit]quit[/] \x1b[31mred\x1b]52;c;AAAA\x07 end"
    app = ViewApp(transcript_of([Segment(hostile, 0.0, 5.0, "[red]Eve[/]")]))
    async with app.run_test(size=(120, 10)) as pilot:
        view = app.view
        await wait_until(pilot, lambda: view.line_count > 0)
        text = strip_text(view, 0)
        assert "[bold]loud[/bold]" in text
        assert "[@click=app.quit]quit[/]" in text
        assert "␛[31mred" in text and "␛]52;c;AAAA␇" in text
        assert "[red]Eve[/]: " in text
        assert "\x1b" not in text
        # No segment carries an action: clicking the "link" does nothing but move the cursor.
        assert all(
            "@click" not in (seg.style.meta if seg.style else {}) for seg in view.render_line(0)
        )
        await pilot.click(TranscriptView, offset=(40, 0))
        await pilot.pause()
        assert app.is_running


async def test_resize_reflows_and_keeps_the_cursor_in_view() -> None:
    app = ViewApp(transcript_of(make_segments(400, words=20)), cursor=250)
    async with app.run_test(size=(100, 24)) as pilot:
        view = app.view
        await wait_until(pilot, lambda: view.line_count > 0)

        def cursor_visible() -> bool:
            top = view.line_of_segment(view.cursor)
            return view.scroll_y <= top < view.scroll_y + view.scrollable_content_region.height

        assert view.cursor == 250 and cursor_visible()
        wide_lines = view.line_count
        await pilot.resize_terminal(50, 24)
        await wait_until(pilot, lambda: view.line_count != wide_lines)
        assert view.line_count > wide_lines
        assert view.cursor == 250 and cursor_visible()
        await pilot.resize_terminal(140, 30)
        await wait_until(pilot, lambda: view.line_count < wide_lines)
        assert cursor_visible()
        for y in range(view.scrollable_content_region.height):
            assert cell_len(strip_text(view, y)) == view.scrollable_content_region.width


async def test_incremental_search_narrows_like_a_full_scan() -> None:
    segments = make_segments(200)
    segments[17] = Segment("Spacing EFFECT here", 51.0, 54.0)
    segments[150] = Segment("the spacing effect again", 450.0, 453.0)
    app = ViewApp(transcript_of(segments), cursor=100)
    async with app.run_test(size=(100, 24)) as pilot:
        view = app.view
        await wait_until(pilot, lambda: view.line_count > 0)
        query = "spacing effect"
        for length in range(1, len(query) + 1):
            count = view.search(query[:length], origin=100)
            expected = [i for i, s in enumerate(segments) if query[:length] in s.text.lower()]
            assert list(view.matches) == expected and count == len(expected)
        assert view.cursor == 150  # first match at/after the origin
        view.action_search_next()
        assert view.cursor == 17 and view.search_wrapped
        assert view.match_counter() == (1, 2)
        view.action_search_previous()
        assert view.cursor == 150 and view.search_wrapped
        view.clear_search(restore=100)
        assert view.cursor == 100 and not view.matches


async def test_mouse_drag_gives_a_partial_range_with_character_offsets() -> None:
    segments = [
        Segment(f"segment number {i} says something short", i * 2.0, i * 2.0 + 2) for i in range(5)
    ]
    app = ViewApp(transcript_of(segments))
    async with app.run_test(size=(100, 12)) as pilot:
        view = app.view
        await wait_until(pilot, lambda: view.line_count > 0)
        prefix = len("[00:00:00] ")
        # From "number" in segment 1 to just after "says" in segment 3.
        start_x = prefix + segments[1].text.index("number")
        end_x = prefix + segments[3].text.index("says") + len("says") - 1
        await pilot.mouse_down(TranscriptView, offset=(start_x, 1))
        await pilot.hover(TranscriptView, offset=(end_x, 3))
        await pilot.mouse_up(TranscriptView, offset=(end_x, 3))
        await wait_until(pilot, lambda: view.selected_range() is not None)
        first, last, start_char, end_char = view.selected_range()
        assert (first, last) == (1, 3)
        assert segments[1].text[start_char:].startswith("number 1")
        assert segments[3].text[:end_char] == "segment number 3 says"
        assert view.selected_text() == (
            "number 1 says something short segment number 2 says something short "
            "segment number 3 says"
        )


async def test_an_empty_transcript_says_so_and_ignores_keys() -> None:
    app = ViewApp(transcript_of([]))
    async with app.run_test(size=(60, 10)) as pilot:
        view = app.view
        await pilot.press("j", "G", "pagedown", "v", "n", "escape")
        assert "This transcript has no text." in strip_text(view, 0)
        assert view.cursor == 0 and view.selected_text() == "" and view.line_count == 0
        assert view.selected_range() is None
