"""CardStore: the SQL for presets, decks, notes, tags, cards and the review log.

A thin layer so screens, the CLI and the review/browse domain speak in dataclasses.
Every public method that writes is one transaction (`core.db.transaction`, BEGIN
IMMEDIATE, so two Ponder instances queue instead of failing). Times are written with
`decks.models.to_db_time` (one fixed format, so text order is time order).

The SQL lives in `decks.store`, one module per area; `CardStore` joins the areas so
callers keep one object and one import.
"""

from __future__ import annotations

from decks.store.cards import CardEdits
from decks.store.presets import PresetStore
from decks.store.reviews import ReviewStore
from decks.store.search import SearchStore, bury_until
from decks.store.values import (
    STATE_FILTERS,
    CardFilter,
    CardStoreError,
    CreatedNote,
    DeckSummary,
    DueCount,
    ImportedReview,
    NoteDraft,
    NoteUpdate,
    StaleCard,
    UndoError,
    card_ords,
    new_guid,
)


class CardStore(PresetStore, ReviewStore, CardEdits, SearchStore):
    """Decks, notes, cards and reviews in the Ponder database."""


__all__ = [
    "STATE_FILTERS",
    "CardFilter",
    "CardStore",
    "CardStoreError",
    "CreatedNote",
    "DeckSummary",
    "DueCount",
    "ImportedReview",
    "NoteDraft",
    "NoteUpdate",
    "StaleCard",
    "UndoError",
    "bury_until",
    "card_ords",
    "new_guid",
]
