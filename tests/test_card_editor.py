"""The card editor, opened with `c` on the study screen and driven with Pilot: kinds,
cloze marking, deck/tag completion, validation, discarding, editing, persistence."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from textual.keys import _character_to_key
from textual.widgets.text_area import Selection

from core.library import Library
from core.models import Segment
from decks.models import NoteKind
from decks.repository import CardFilter, CardStore
from tests.tui_helpers import (
    Driven,
    make_segments,
    screen_text,
    send_burst,
    study_screen,
    wait_until,
)
from tui.screens.card_editor import (
    CardEditorScreen,
    TagSuggester,
    preview_lines,
)
from tui.screens.confirm import ConfirmScreen
from tui.screens.study import StudyScreen


@dataclass
class Session(Driven):
    study: StudyScreen
    library: Library
    source_id: int

    @property
    def store(self) -> CardStore:
        return CardStore(self.library.conn)

    @property
    def editor(self) -> CardEditorScreen:
        screen = self.app.screen
        assert isinstance(screen, CardEditorScreen), screen
        return screen

    def all_cards(self) -> list:
        return self.store.search(CardFilter(), rollover_hour=4)


@asynccontextmanager
async def open_study(
    segments: list[Segment] | None = None, *, title: str = "Test talk", **options: Any
) -> AsyncIterator[Session]:
    async with study_screen(segments, title=title, **options) as parts:
        yield Session(*parts)


async def select_segments(session: Session, first: int, last: int) -> None:
    """Put the cursor on `first` and select through `last` with visual mode (v, j...)."""
    view = session.study.transcript_view
    view.cursor = first
    await session.pilot.press("v", *["j"] * (last - first))
    assert view.selected_range() == (first, last, None, None)


async def open_editor(session: Session, key: str = "c") -> CardEditorScreen:
    await session.pilot.press(key)
    await wait_until(
        session.pilot,
        lambda: (
            isinstance(session.app.screen, CardEditorScreen) and session.app.screen.dirty is False
        ),
    )
    return session.editor


async def type_text(session: Session, text: str) -> None:
    send_burst(session.app, [(_character_to_key(c), c) for c in text])
    await session.pilot.pause()


async def save(session: Session) -> None:
    await session.pilot.press("ctrl+s")
    await wait_until(session.pilot, lambda: session.app.screen is session.study)


# -- opening -------------------------------------------------------------------------------


async def test_c_on_a_three_segment_selection_shows_passage_timestamp_and_deck() -> None:
    async with open_study() as session:
        await select_segments(session, 10, 12)
        expected = session.study.transcript_view.selected_text()
        editor = await open_editor(session)
        assert editor.passage_area.text == expected
        assert expected.startswith("seg 10 ") and "seg 12 " in expected
        shown = screen_text(session.app)
        assert "00:00:30" in shown  # segment 10 starts at 10 × 3 s
        assert "segments 11–13" in shown
        assert editor.deck_input.value == "Test talk"  # default: the transcript's title
        assert editor.front_area.has_focus
        assert "Test talk" in editor.preview_text


async def test_c_without_selection_uses_the_cursor_segment() -> None:
    async with open_study() as session:
        session.study.transcript_view.cursor = 5
        editor = await open_editor(session)
        assert editor.passage_area.text.startswith("seg 5 ")
        assert (editor.first_segment, editor.last_segment) == (5, 5)
        assert "segment 6" in screen_text(session.app)


# -- saving each kind ------------------------------------------------------------------------


async def test_basic_card_keeps_its_source_range_start_time_and_deck() -> None:
    async with open_study() as session:
        await select_segments(session, 10, 12)
        await open_editor(session)
        await type_text(session, "What comes after seg 10?")
        await session.pilot.press("tab")
        await type_text(session, "seg 11")
        assert session.all_cards() == []  # nothing is saved before ctrl+s
        await save(session)
        [view] = session.all_cards()
        note = view.note
        assert (note.kind, note.front, note.back) == (
            NoteKind.BASIC,
            "What comes after seg 10?",
            "seg 11",
        )
        source = note.source
        assert source is not None
        assert (source.source_id, source.first_segment, source.last_segment) == (
            session.source_id,
            10,
            12,
        )
        assert source.start_s == 30.0
        assert source.highlight_id is None
        assert view.deck_name == "Test talk"
        assert any("Added 1 card" in note for note in session.notes())
        assert session.study.transcript_view.selected_range() is None  # saved: selection done


async def test_card_from_a_highlight_records_the_highlight() -> None:
    async with open_study() as session:
        await select_segments(session, 4, 6)
        await session.pilot.press("h")
        [highlight] = session.library.highlights(session.source_id)
        assert session.study.transcript_view.selected_range() is None
        session.study.transcript_view.cursor = 5  # inside the highlight, nothing selected
        editor = await open_editor(session)
        assert (editor.first_segment, editor.last_segment) == (4, 6)
        assert "from a highlight" in screen_text(session.app)
        await type_text(session, "front")
        await session.pilot.press("tab")
        await type_text(session, "back")
        await save(session)
        [view] = session.all_cards()
        assert view.note.source is not None
        assert view.note.source.highlight_id == highlight.id
        assert session.store.notes_for_highlight(highlight.id)[0].id == view.note.id


async def test_reversed_note_creates_two_cards() -> None:
    async with open_study() as session:
        editor = await open_editor(session)
        await session.pilot.press("ctrl+t")
        assert editor.kind == NoteKind.REVERSED
        await type_text(session, "entropy")
        await session.pilot.press("tab")
        await type_text(session, "disorder")
        assert "2 cards" in editor.preview_text
        await save(session)
        views = session.all_cards()
        assert [(v.card.ord, v.front, v.back) for v in views] == [
            (0, "entropy", "disorder"),
            (1, "disorder", "entropy"),
        ]


async def test_cloze_marking_in_the_passage_wraps_words_and_makes_one_card_per_number() -> None:
    segments = [Segment("The mitochondria is the powerhouse of the cell.", 0.0, 4.0)]
    segments += make_segments(5)[1:]
    async with open_study(segments) as session:
        session.study.transcript_view.cursor = 0
        editor = await open_editor(session)
        await session.pilot.press("shift+tab")  # to the passage
        assert editor.passage_area.has_focus
        editor.passage_area.selection = Selection((0, 4), (0, 16))  # "mitochondria"
        await session.pilot.press("ctrl+l")
        assert editor.kind == NoteKind.CLOZE
        assert editor.front_area.text == ("The {{c1::mitochondria}} is the powerhouse of the cell.")
        editor.passage_area.selection = Selection((0, 24), (0, 35))  # "powerhouse " (space)
        await session.pilot.press("ctrl+l")
        assert editor.front_area.text == (
            "The {{c1::mitochondria}} is the {{c2::powerhouse}} of the cell."
        )
        assert "2 cards" in editor.preview_text
        assert "The [...] is the powerhouse of the cell." in editor.preview_text
        await save(session)
        views = session.all_cards()
        assert [(v.card.ord, v.front) for v in views] == [
            (0, "The [...] is the powerhouse of the cell."),
            (1, "The mitochondria is the [...] of the cell."),
        ]


async def test_cloze_marking_in_the_text_field_with_keyboard_selection() -> None:
    async with open_study() as session:
        editor = await open_editor(session)
        await session.pilot.press("ctrl+t", "ctrl+t")
        assert editor.kind == NoteKind.CLOZE
        editor.front_area.load_text("")  # the passage was put there: write another text
        await type_text(session, "Paris is in France")
        await session.pilot.press(*["shift+left"] * 6)  # "France"
        await session.pilot.press("ctrl+l")
        assert editor.front_area.text == "Paris is in {{c1::France}}"
        await session.pilot.press("home", *["shift+right"] * 5)  # "Paris"
        await session.pilot.press("ctrl+l")
        assert editor.front_area.text == "{{c2::Paris}} is in {{c1::France}}"
        await session.pilot.press("ctrl+l")  # nothing selected now: a message, no change
        assert "Select the words" in editor.error_text
        await save(session)
        assert len(session.all_cards()) == 2


async def test_a_cloze_from_a_passage_starts_with_the_passage_as_its_text() -> None:
    """The learner only marks the words to hide; going back to basic takes it out again."""
    async with open_study() as session:
        editor = await open_editor(session)
        passage = editor.passage_area.text.strip()
        assert passage and editor.front_area.text == ""
        await session.pilot.press("ctrl+t", "ctrl+t")
        assert editor.kind == NoteKind.CLOZE
        assert editor.front_area.text == passage and app_focus(session) is editor.front_area
        word = passage.split()[0]
        await session.pilot.press("home", *["shift+right"] * len(word))
        await session.pilot.press("ctrl+l")
        assert editor.front_area.text == "{{c1::" + word + "}}" + passage[len(word) :]
        editor.front_area.load_text(passage)  # untouched again: ctrl+t back to basic
        await session.pilot.press("ctrl+t")
        assert editor.kind == NoteKind.BASIC and editor.front_area.text == ""


def app_focus(session: Session) -> object:
    return session.app.focused


async def test_marking_words_in_a_basic_front_switches_to_cloze() -> None:
    async with open_study() as session:
        editor = await open_editor(session)
        await type_text(session, "water boils at 100 C")
        await session.pilot.press(*["shift+left"] * 5)
        await session.pilot.press("ctrl+l")
        assert editor.kind == NoteKind.CLOZE
        assert editor.front_area.text == "water boils at {{c1::100 C}}"


# -- deck and tags -------------------------------------------------------------------------


async def test_deck_completion_from_existing_decks() -> None:
    library = Library()
    CardStore(library.conn).ensure_deck("Physics::Waves")
    async with open_study(library=library) as session:
        editor = await open_editor(session)
        deck = editor.deck_input
        deck.value = ""
        deck.focus()
        await type_text(session, "phy")
        await wait_until(session.pilot, lambda: deck._suggestion == "Physics")
        await session.pilot.press("tab")
        assert deck.value == "Physics" and deck.has_focus
        await type_text(session, "::w")
        await wait_until(session.pilot, lambda: deck._suggestion == "Physics::Waves")
        await session.pilot.press("tab")
        assert deck.value == "Physics::Waves"
        await session.pilot.press("shift+tab", "shift+tab")  # back to the front (via back)
        assert editor.front_area.has_focus
        await type_text(session, "f")
        await session.pilot.press("tab")
        await type_text(session, "b")
        await save(session)
        [view] = session.all_cards()
        assert view.deck_name == "Physics::Waves"


async def test_tag_completion_completes_the_last_tag_only() -> None:
    library = Library()
    CardStore(library.conn).create_note("basic", "q", "a", tags="physics exam")
    async with open_study(library=library) as session:
        editor = await open_editor(session)
        tags = editor.tags_input
        tags.focus()
        await type_text(session, "exam ph")
        await wait_until(session.pilot, lambda: tags._suggestion == "exam physics")
        await session.pilot.press("tab")
        assert tags.value == "exam physics"


async def test_nested_deck_name_creates_parent_and_child() -> None:
    async with open_study() as session:
        editor = await open_editor(session)
        await type_text(session, "q")
        await session.pilot.press("tab")
        await type_text(session, "a")
        editor.deck_input.value = "Talks :: Physics"
        editor.tags_input.value = "exam, waves"
        await session.pilot.pause()
        assert "(new deck)" in editor.preview_text
        await save(session)
        store = session.store
        child = store.deck_by_name("Talks::Physics")
        parent = store.deck_by_name("Talks")
        assert child is not None and parent is not None
        assert child.parent_id == parent.id
        [view] = session.all_cards()
        assert view.deck_name == "Talks::Physics"
        assert set(view.note.tags) == {"exam", "waves"}


# -- validation and discarding ---------------------------------------------------------------


async def test_empty_front_is_refused_with_a_message_and_nothing_is_lost() -> None:
    async with open_study() as session:
        editor = await open_editor(session)
        await session.pilot.press("tab")
        await type_text(session, "an answer")
        editor.tags_input.value = "keep me"
        await session.pilot.press("ctrl+s")
        await session.pilot.pause()
        assert session.app.screen is editor
        assert "The front is empty." in editor.error_text
        assert editor.back_area.text == "an answer"
        assert editor.tags_input.value == "keep me"
        assert session.all_cards() == []


async def test_cloze_without_deletion_is_refused() -> None:
    async with open_study() as session:
        editor = await open_editor(session)
        await session.pilot.press("ctrl+t", "ctrl+t")
        editor.front_area.load_text("")
        await type_text(session, "no deletion here")
        await session.pilot.press("ctrl+s")
        await session.pilot.pause()
        assert session.app.screen is editor
        assert "No cloze deletion" in editor.error_text
        assert editor.front_area.text == "no deletion here"
        assert session.all_cards() == []


async def test_bad_deck_name_is_refused() -> None:
    async with open_study() as session:
        editor = await open_editor(session)
        await type_text(session, "q")
        editor.deck_input.value = "A::::B"
        await session.pilot.press("ctrl+s")
        await session.pilot.pause()
        assert session.app.screen is editor
        assert "not a deck name" in editor.error_text
        assert session.all_cards() == []


async def test_escape_with_typed_text_asks_and_no_keeps_editing() -> None:
    async with open_study() as session:
        editor = await open_editor(session)
        await type_text(session, "half a thought")
        await session.pilot.press("escape")
        await wait_until(session.pilot, lambda: isinstance(session.app.screen, ConfirmScreen))
        await session.pilot.press("n")
        await wait_until(session.pilot, lambda: session.app.screen is editor)
        assert editor.front_area.text == "half a thought"
        await session.pilot.press("escape")
        await wait_until(session.pilot, lambda: isinstance(session.app.screen, ConfirmScreen))
        await session.pilot.press("y")
        await wait_until(session.pilot, lambda: session.app.screen is session.study)
        assert session.all_cards() == []


async def test_escape_on_an_untouched_editor_closes_without_asking() -> None:
    async with open_study() as session:
        await open_editor(session)
        await session.pilot.press("escape")
        await wait_until(session.pilot, lambda: session.app.screen is session.study)


# -- editing and persistence -------------------------------------------------------------------


async def test_editing_an_existing_note_updates_it_and_moves_its_deck() -> None:
    library = Library()
    async with open_study(library=library) as session:
        store = session.store
        created = store.create_note(
            "cloze", "A {{c1::b}} c", "extra", deck="Old", tags="t1", source=None
        )
        editor = CardEditorScreen(note_id=created.note.id)
        results: list[int | None] = []
        session.app.push_screen(editor, results.append)
        await wait_until(session.pilot, lambda: editor.is_mounted and not editor.dirty)
        assert editor.kind == NoteKind.CLOZE
        assert editor.front_area.text == "A {{c1::b}} c"
        assert editor.back_area.text == "extra"
        assert editor.deck_input.value == "Old"
        assert "typed by hand" in screen_text(session.app)
        editor.front_area.load_text("A {{c1::b}} {{c2::c}}")
        editor.deck_input.value = "New::Sub"
        await session.pilot.press("ctrl+s")
        await wait_until(session.pilot, lambda: results == [created.note.id])
        views = session.all_cards()
        assert [(v.card.ord, v.deck_name) for v in views] == [(0, "New::Sub"), (1, "New::Sub")]
        assert views[0].card.id == created.cards[0].id  # the old card kept its history


async def test_a_saved_card_survives_an_app_restart() -> None:
    async with open_study() as session:
        await select_segments(session, 2, 3)
        await open_editor(session)
        await type_text(session, "survives?")
        await session.pilot.press("tab")
        await type_text(session, "yes")
        await save(session)
    session.library.close()
    reopened = Library()
    try:
        [view] = CardStore(reopened.conn).search(CardFilter(), rollover_hour=4)
        assert (view.front, view.back, view.deck_name) == ("survives?", "yes", "Test talk")
        assert view.note.source is not None and view.note.source.first_segment == 2
    finally:
        reopened.close()


async def test_untrusted_passage_and_title_are_shown_literally() -> None:
    segments = [Segment("[bold]not bold[/] \x1b[31mred [@click=app.quit]x[/]", 0.0, 2.0)]
    async with open_study(segments + make_segments(3)[1:], title="[b]T[/b] \x1b]0;x\x07") as s:
        s.study.transcript_view.cursor = 0
        editor = await open_editor(s)
        shown = screen_text(s.app)
        assert "[bold]not bold[/]" in shown
        assert "\x1b" not in shown and "␛" in shown
        assert "[b]T[/b]" in shown
        await type_text(s, "[/] stray")
        await s.pilot.press("tab")
        await type_text(s, "[@click=app.quit]")
        await s.pilot.pause()
        assert "[/] stray" in editor.preview_text
        await save(s)
        [view] = s.all_cards()
        assert view.front == "[/] stray"


# -- pure helpers -------------------------------------------------------------------------------


def test_preview_lines_for_each_kind() -> None:
    assert preview_lines(NoteKind.BASIC, "q", "a") == ["Q: q  →  A: a"]
    assert len(preview_lines(NoteKind.REVERSED, "q", "a")) == 2
    lines = preview_lines(NoteKind.CLOZE, "{{c1::x}} and {{c2::y::hint}}", "")
    assert lines == ["c1: [...] and y  →  x", "c2: x and [hint]  →  y"]
    assert "No cloze deletion" in preview_lines(NoteKind.CLOZE, "plain", "")[0]


async def test_tag_suggester() -> None:
    suggester = TagSuggester(["physics", "Exam", "phonetics"])
    assert await suggester.get_suggestion("EX") == "Exam"
    assert await suggester.get_suggestion("a, pho") == "a, phonetics"
    assert await suggester.get_suggestion("physics ") is None
    assert await suggester.get_suggestion("physics") is None


async def test_the_passage_is_read_only_and_keys_there_do_not_close_the_editor() -> None:
    async with open_study() as session:
        editor = await open_editor(session)
        await type_text(session, "kept")
        await session.pilot.press("shift+tab")
        assert editor.passage_area.has_focus
        before = editor.passage_area.text
        await session.pilot.press("q", "x", "question_mark")
        assert session.app.is_running and session.app.screen is editor
        assert editor.passage_area.text == before
        assert editor.front_area.text == "kept"
