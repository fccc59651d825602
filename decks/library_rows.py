"""The library's rows: each transcript with its highlight, card and due counts.

Plain data and queries, kept out of the library screen so they can be used (and tested)
without a UI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.collections import Collection
from core.config import Config
from core.models import Source


@dataclass(frozen=True, slots=True)
class LibraryRow:
    """One transcript with the counts shown next to it."""

    source: Source
    highlights: int = 0
    cards: int = 0
    due: int = 0

    @property
    def source_id(self) -> int:
        return int(self.source.id or 0)


def card_counts(library: Any, config: Config) -> dict[int, tuple[int, int]]:
    """source id -> (cards, cards to study today, new ones within the daily limits)."""
    try:
        from decks.queue import due_today_by_source
        from decks.repository import CardStore
    except ImportError:
        return {}
    try:
        store = CardStore(library.conn)
        totals = store.card_counts_by_source()
        due = due_today_by_source(store, config)
    except Exception:  # counts are decoration: never let them break the library screen
        return {}
    return {
        int(source_id): (int(cards), int(due.get(source_id, 0)))
        for source_id, (cards, _due_now) in totals.items()
    }


def load_rows(library: Any, config: Config, *, with_cards: bool = True) -> list[LibraryRow]:
    """Every source with its highlight and (unless `with_cards` is False) card counts."""
    highlights = library.highlight_counts()
    cards = card_counts(library, config) if with_cards else {}
    rows = []
    for source in library.sources():
        source_id = int(source.id or 0)
        card_total, due = cards.get(source_id, (0, 0))
        rows.append(LibraryRow(source, highlights.get(source_id, 0), card_total, due))
    return rows


def filter_rows(rows: list[LibraryRow], query: str) -> list[LibraryRow]:
    """Rows whose title contains the query, ignoring case."""
    needle = query.strip().casefold()
    if not needle:
        return list(rows)
    return [row for row in rows if needle in row.source.title.casefold()]


def in_collection(rows: list[LibraryRow], collection: Collection | None) -> list[LibraryRow]:
    """Rows of the transcripts in `collection` (all rows when None)."""
    if collection is None:
        return list(rows)
    members = set(collection.source_ids)
    return [row for row in rows if row.source_id in members]
