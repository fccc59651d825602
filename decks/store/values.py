"""What the card store takes and gives besides the domain models: requests, results,
errors, and the note-kind checks every write shares.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from decks import cloze
from decks.models import (
    Card,
    Deck,
    Note,
    NoteKind,
    SourceRef,
)


class CardStoreError(ValueError):
    """A bad request (unknown deck, empty front, no cloze...): the message is for the user."""


class StaleCard(RuntimeError):
    """The card changed (another instance reviewed it) between showing and answering."""


class UndoError(RuntimeError):
    """The review cannot be undone any more (already undone, or reviewed again since)."""


_BASE91 = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_`{|}~"
)


def new_guid() -> str:
    """A random 64-bit id in Anki's base91 alphabet (stable per note, for Anki export)."""
    number = secrets.randbits(64)
    chars = []
    while number:
        number, rest = divmod(number, 91)
        chars.append(_BASE91[rest])
    return "".join(reversed(chars)) or "a"


def card_ords(kind: NoteKind, front: str) -> list[int]:
    """The card ords a note of this kind and text has (validates cloze text)."""
    if kind == NoteKind.BASIC:
        return [0]
    if kind == NoteKind.REVERSED:
        return [0, 1]
    try:
        return [number - 1 for number in cloze.validate(front)]
    except cloze.ClozeError as error:
        raise CardStoreError(str(error)) from None


def _check_note(kind: NoteKind, front: str, back: str) -> None:
    if not front.strip():
        raise CardStoreError(
            "The cloze text is empty." if kind == NoteKind.CLOZE else "The front is empty."
        )
    if kind == NoteKind.REVERSED and not back.strip():
        raise CardStoreError("A reversed card needs a back (it becomes the other card's front).")


@dataclass(frozen=True, slots=True)
class NoteDraft:
    """A note to create in bulk (imports, benchmarks)."""

    kind: NoteKind
    front: str
    back: str = ""
    deck: str | None = None
    tags: tuple[str, ...] = ()
    source: SourceRef | None = None
    created_at: datetime | None = None
    guid: str | None = None  # kept when free (imports), so importing again updates the note


@dataclass(frozen=True, slots=True)
class ImportedReview:
    """A review made outside Ponder (Anki), with the card's state before it (replayed)."""

    rating: int
    reviewed_at: datetime
    duration_ms: int | None
    state_before: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CreatedNote:
    note: Note
    cards: list[Card]
    deck: Deck

    @property
    def card_ids(self) -> list[int]:
        return [card.id for card in self.cards]


@dataclass(frozen=True, slots=True)
class NoteUpdate:
    """An edited note, and which cards appeared or went (cloze numbers, kind change)."""

    note: Note
    added_card_ids: list[int] = field(default_factory=list)
    removed_card_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DeckSummary:
    """A deck with its own card counts (not including subdecks; see `total_for`)."""

    deck: Deck
    cards: int = 0
    new: int = 0
    learning: int = 0
    review: int = 0
    suspended: int = 0
    due_now: int = 0  # learning + review cards due at `now` (not new)
    due_today: int = 0  # learning + review cards due before the study day ends

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.deck.id,
            "name": self.deck.name,
            "preset_id": self.deck.preset_id,
            "cards": self.cards,
            "new": self.new,
            "learning": self.learning,
            "review": self.review,
            "suspended": self.suspended,
            "due_now": self.due_now,
            "due_today": self.due_today,
        }


@dataclass(frozen=True, slots=True)
class DueCount:
    """Due cards in one deck (own cards only): learning and review due, new available."""

    learning: int = 0
    review: int = 0
    new: int = 0

    @property
    def due(self) -> int:
        return self.learning + self.review


@dataclass(frozen=True, slots=True)
class CardFilter:
    """What the browse query asks for; None/empty = no constraint.

    state: new, learning (incl. relearning), review, suspended, buried, leech, due
    (learning/review due before the study day ends), due_now.
    """

    text: str = ""
    deck_id: int | None = None
    include_subdecks: bool = True
    tag: str | None = None
    state: str | None = None
    source_id: int | None = None
    note_id: int | None = None
    card_ids: tuple[int, ...] | None = None
    order: str = "created"  # created, due, deck, modified, lapses
    descending: bool = False
    limit: int | None = None
    offset: int = 0


STATE_FILTERS = ("new", "learning", "review", "suspended", "buried", "leech", "due", "due_now")
