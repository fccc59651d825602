"""Browse: find cards and look at one closely (the domain side of the browser screen).

The search box takes words plus Anki-like filters, all combined with AND:

    photosynthesis deck:Biology tag:exam is:due "light reaction"

- words / "quoted phrases": found in the note's front or back (case-insensitive)
- `deck:NAME` (with its subdecks; `deck:"A B::C"` for spaces), `tag:NAME` (also
  `NAME::child` tags), `is:new|learning|review|suspended|buried|leech|due`,
  `source:ID`, `note:ID`, `card:ID`
- `sort:created|due|deck|modified|lapses` and `sort:-due` for descending

Editing, deleting, moving, (un)suspending and resetting are CardStore calls; this
module adds the query parser, the FSRS memory state and the review history.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core import clock
from core.ratings import RATING_NAMES
from decks.models import CardState, CardView, ReviewLog, to_db_time
from decks.repository import STATE_FILTERS, CardFilter, CardStoreError
from decks.scheduling import retrievability, scheduler_for_deck

if TYPE_CHECKING:
    from core.config import Config
    from decks.repository import CardStore

_STATE_ALIASES = {
    "learn": "learning",
    "relearning": "learning",
    "suspend": "suspended",
    "susp": "suspended",
    "bury": "buried",
    "due_today": "due",
    "today": "due",
}
_ORDERS = ("created", "due", "deck", "modified", "lapses")


class SearchError(ValueError):
    """A search filter that cannot be understood; the message says which and why."""


def parse_search(text: str, store: CardStore | None = None) -> CardFilter:
    """A CardFilter from the search box text (see the module docstring)."""
    try:
        tokens = shlex.split(text, posix=True)
    except ValueError:
        tokens = text.replace('"', " ").split()
    words: list[str] = []
    query = CardFilter()
    for token in tokens:
        key, sep, value = token.partition(":")
        key = key.lower()
        if not sep or key not in {"deck", "tag", "is", "source", "note", "card", "sort"}:
            words.append(f'"{token}"' if " " in token else token)
            continue
        if not value:
            raise SearchError(f"{key}: needs a value, e.g. {key}:something")
        if key == "deck":
            if store is None:
                raise SearchError("deck: filters need the card store.")
            deck = store.deck_by_name(value)
            if deck is None:
                raise SearchError(f"No deck named {value!r}.")
            query = replace(query, deck_id=deck.id)
        elif key == "tag":
            query = replace(query, tag=value)
        elif key == "is":
            state = _STATE_ALIASES.get(value.lower(), value.lower())
            if state not in STATE_FILTERS:
                raise SearchError(
                    f"is:{value} is not a state (new, learning, review, suspended, buried, "
                    "leech, due)."
                )
            query = replace(query, state=state)
        elif key in {"source", "note", "card"}:
            if not value.isdigit():
                raise SearchError(f"{key}: takes a number, not {value!r}.")
            if key == "source":
                query = replace(query, source_id=int(value))
            elif key == "note":
                query = replace(query, note_id=int(value))
            else:
                query = replace(query, card_ids=(int(value),))
        elif key == "sort":
            descending = value.startswith("-")
            order = value.lstrip("-").lower()
            if order not in _ORDERS:
                raise SearchError(f"sort:{value} is not one of {', '.join(_ORDERS)}.")
            query = replace(query, order=order, descending=descending)
    return replace(query, text=" ".join(words))


def search(
    store: CardStore,
    query: CardFilter | str,
    *,
    config: Config,
    now: datetime | None = None,
    limit: int | None = None,
) -> list[CardView]:
    """Cards matching a filter or a search text."""
    if isinstance(query, str):
        query = parse_search(query, store)
    if limit is not None:
        query = replace(query, limit=limit)
    try:
        return store.search(query, now=now, rollover_hour=config.day_rollover_hour)
    except CardStoreError as error:
        raise SearchError(str(error)) from None


@dataclass(frozen=True, slots=True)
class MemoryState:
    """FSRS's view of a card: stability (days), difficulty (1-10), recall probability now."""

    state: CardState
    stability: float | None
    difficulty: float | None
    retrievability: float | None
    due: datetime
    last_review: datetime | None
    reps: int
    lapses: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state.label,
            "stability": self.stability,
            "difficulty": self.difficulty,
            "retrievability": self.retrievability,
            "due": to_db_time(self.due),
            "last_review": None if self.last_review is None else to_db_time(self.last_review),
            "reps": self.reps,
            "lapses": self.lapses,
        }


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One past review, for the card's history table."""

    log: ReviewLog

    @property
    def rating_name(self) -> str:
        from fsrs import Rating

        return RATING_NAMES[Rating(self.log.rating)]

    @property
    def state_before(self) -> CardState:
        return self.log.prior_state

    def to_dict(self) -> dict[str, Any]:
        data = self.log.to_dict()
        data["rating_name"] = self.rating_name
        data["state_before_name"] = self.state_before.label
        return data


@dataclass(frozen=True, slots=True)
class CardDetails:
    """Everything the browser's detail pane shows about one card."""

    view: CardView
    memory: MemoryState
    history: list[HistoryEntry]
    source_exists: bool  # False when the source transcript was deleted (or none)

    @property
    def source_label(self) -> str:
        """`Title` / `Title (transcript deleted)` / `typed by hand`."""
        source = self.view.note.source
        if source is None:
            return "typed by hand"
        title = source.source_title or "untitled"
        return title if self.source_exists else f"{title} (transcript deleted)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "card": self.view.to_dict(),
            "memory": self.memory.to_dict(),
            "history": [entry.to_dict() for entry in self.history],
            "source_exists": self.source_exists,
            "source_label": self.source_label,
        }


def memory_state(
    store: CardStore, view: CardView, config: Config, now: datetime | None = None
) -> MemoryState:
    card = view.card
    scheduler = scheduler_for_deck(store, card.deck_id, config)
    return MemoryState(
        state=CardState(card.state),
        stability=card.stability,
        difficulty=card.difficulty,
        retrievability=retrievability(scheduler, card, now or clock.now()),
        due=card.due,
        last_review=card.last_review,
        reps=card.reps,
        lapses=card.lapses,
    )


def card_details(
    store: CardStore, card_id: int, *, config: Config, now: datetime | None = None
) -> CardDetails | None:
    """The card, its memory state now and its review history; None if it is gone."""
    view = store.card_view(card_id)
    if view is None:
        return None
    source = view.note.source
    exists = source is not None and source.source_id is not None
    history = [HistoryEntry(log) for log in store.review_logs(card_id)]
    return CardDetails(view, memory_state(store, view, config, now), history, exists)
