"""The library's rows (decks.library_rows): counts per transcript, filtering by title and
collection, without a UI."""

from __future__ import annotations

from datetime import UTC, datetime

from core.collections import Collection
from core.config import Config
from core.library import Library
from core.models import Highlight, Segment, Source, Transcript
from decks.library_rows import filter_rows, in_collection, load_rows
from decks.models import SourceRef
from decks.repository import CardStore


def _with_source(library: Library) -> tuple[CardStore, int]:
    segments = [Segment(f"segment {i}", i * 5.0, i * 5.0 + 5, None) for i in range(10)]
    source = Source(title="Memory talk", origin="talk.srt")
    return CardStore(library.conn), library.add(Transcript(source, segments)).source_id


def test_rows_count_highlights_cards_and_due(library: Library) -> None:
    store, source_id = _with_source(library)
    library.add_highlight(Highlight(source_id, 2, 3))
    store.create_note("basic", "q", "a", source=SourceRef(source_id))
    store.create_note("reversed", "q2", "a2", source=SourceRef(source_id))
    [row] = load_rows(library, Config())
    assert (row.source_id, row.highlights, row.cards) == (source_id, 1, 3)
    assert row.due == 3  # new cards within the default daily limit
    [bare] = load_rows(library, Config(), with_cards=False)
    assert (bare.highlights, bare.cards, bare.due) == (1, 0, 0)


def test_filter_and_collection(library: Library) -> None:
    _with_source(library)
    rows = load_rows(library, Config())
    assert filter_rows(rows, "  MEMORY ") == rows
    assert filter_rows(rows, "nothing like it") == []
    assert in_collection(rows, None) == rows
    assert in_collection(rows, Collection(1, "c", datetime.now(UTC))) == []
