"""A card's passage and its text as words (`decks.passage`), without a terminal."""

from __future__ import annotations

from core.db import connect
from core.library import Library
from core.models import Segment, Source, Transcript
from decks.models import NoteKind, SourceRef
from decks.passage import card_focus, card_range, card_texts, load_passage
from decks.repository import CardStore


def _segments(count: int) -> list[Segment]:
    return [Segment(f"s{i}", i * 10.0, i * 10.0 + 10) for i in range(count)]


def test_card_range_from_segments_or_start_time() -> None:
    segments = _segments(5)
    assert card_range(SourceRef(1, first_segment=1, last_segment=2), segments) == (1, 2)
    assert card_range(SourceRef(1, first_segment=3), segments) == (3, 3)
    assert card_range(SourceRef(1, start_s=25.0), segments) == (2, 2)
    assert card_range(SourceRef(1, first_segment=9, last_segment=12), segments) == (4, 4)
    assert card_range(SourceRef(1, first_segment=2, last_segment=1), segments) == (2, 2)
    assert card_range(SourceRef(1), []) == (0, -1)


def test_card_texts_of_a_cloze() -> None:
    store = CardStore(connect())
    created = store.create_note("cloze", "The {{c1::gamma}} loop ends at {{c2::delta}}", "extra")
    views = [store.card_view(card.id) for card in created.cards]
    front, back = card_texts(views[0])  # type: ignore[arg-type]
    assert front == "The [...] loop ends at delta"
    assert back == "The gamma loop ends at delta\nextra"
    assert created.note.kind == NoteKind.CLOZE
    store.close()


def test_load_passage_and_card_focus_read_the_same_segments() -> None:
    library = Library(connect())
    transcript = Transcript(Source(title="Talk", origin="t.srt"), _segments(10))
    source_id = library.add(transcript).source_id
    ref = SourceRef(source_id, first_segment=4, last_segment=5)
    passage = load_passage(library, ref, context=2)
    assert passage is not None and (passage.first, passage.last) == (4, 5)
    assert [index for index, _segment in passage.segments] == [2, 3, 4, 5, 6, 7]
    assert passage.start_s == 40.0 and passage.source.title == "Talk"
    assert load_passage(library, SourceRef(None, "Gone talk")) is None
    assert load_passage(library, SourceRef(source_id + 1)) is None

    store = CardStore(library.conn)
    created = store.create_note("basic", "front", "back", source=ref)
    view = store.card_view(created.card_ids[0])
    stored = library.transcript(source_id)
    assert view is not None and stored is not None
    focus = card_focus(view, stored)
    assert focus is not None
    assert (focus.first_segment, focus.last_segment, focus.text) == (4, 5, "s4 s5")
    typed = store.create_note("basic", "by hand", "back")
    typed_view = store.card_view(typed.card_ids[0])
    assert typed_view is not None and card_focus(typed_view, stored) is None
    library.close()
