"""The bridge collection: Ponder's own Anki collection, opened only with the `anki` library.

It lives at `$PONDER_HOME/anki/collection.anki2` and is what Anki's sync protocol talks
to; Ponder's database stays the source of truth for the notes Ponder made. Here: opening
it, making sure it has Ponder's three note types (defined in decks.anki_model, shared with
the .apkg export), reading a note's fields, and setting an Anki card's scheduling to match
Ponder's FSRS state (the export schedules its cards with it too).

Trap (checked): changing the fields or templates of a note type that was synced makes
the next sync demand a full sync. So note types are only ever added, never edited; a
note type of ours whose fields differ (made by someone else) is left alone and a fresh one
is added under another name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.clock import study_day_start, to_utc
from decks.anki_model import NOTE_TYPES, NoteTypeSpec, add_note_type
from decks.anki_text import html_to_text
from decks.models import Card, CardState

if TYPE_CHECKING:
    from anki.collection import Collection

BRIDGE_FOLDER = "anki"
BRIDGE_FILE = "collection.anki2"


def bridge_path(home: Path) -> Path:
    return home / BRIDGE_FOLDER / BRIDGE_FILE


def open_bridge(path: Path) -> tuple[Collection, bool]:
    """The bridge collection (created when missing) and whether it was just created."""
    from anki.collection import Collection

    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = not path.exists()
    return Collection(str(path)), fresh


def _compatible(model: dict[str, Any], spec: NoteTypeSpec) -> bool:
    names = tuple(field["name"] for field in model.get("flds", []))
    is_cloze = model.get("type") == 1
    return names == spec.fields and is_cloze == spec.cloze


def ensure_note_types(col: Collection) -> dict[str, int]:
    """kind -> note type id of Ponder's note types in the collection, adding missing ones."""
    ids: dict[str, int] = {}
    for kind, spec in NOTE_TYPES.items():
        name = spec.name
        for attempt in range(1, 20):
            model = col.models.by_name(name)
            if model is None:
                ids[kind] = add_note_type(col, spec, name)
                break
            if _compatible(model, spec):
                ids[kind] = int(model["id"])
                break
            name = f"{spec.name} ({attempt + 1})"
    return ids


# -- fields ---------------------------------------------------------------------------------


def fields_to_text(fields: list[str]) -> tuple[str, str]:
    """(front, back) as Ponder's plain text from an Anki note's first two fields."""
    front = html_to_text(fields[0]) if fields else ""
    back = html_to_text(fields[1]) if len(fields) > 1 else ""
    return front, back


def split_fields(flds: str) -> list[str]:
    """Anki stores a note's fields joined by the 0x1f unit separator."""
    return flds.split("\x1f")


def split_tags(tags: str) -> tuple[str, ...]:
    return tuple(sorted((tag for tag in tags.split() if tag), key=str.lower))


# -- scheduling -----------------------------------------------------------------------------


def _days_between(start: datetime, end: datetime, rollover_hour: int) -> int:
    """Whole study days from the study day of `start` to that of `end` (DST-safe)."""
    first = study_day_start(start, rollover_hour)
    last = study_day_start(end, rollover_hour)
    return round((last - first).total_seconds() / 86400)


@dataclass(frozen=True, slots=True)
class AnkiDay:
    """Anki's notion of today: day number, when the day ends (epoch s), FSRS on or off."""

    today: int
    day_cutoff: int
    fsrs: bool

    @classmethod
    def of(cls, col: Collection) -> AnkiDay:
        fsrs = bool(col.get_config("fsrs", False))  # the collection-wide FSRS switch
        return cls(int(col.sched.today), int(col.sched.day_cutoff), fsrs)


def apply_schedule(
    anki_card: Any, card: Card, day: AnkiDay, now: datetime, rollover_hour: int
) -> bool:
    """Set an Anki card's scheduling to match Ponder's card; True if anything changed.

    Review cards get `due` = Anki's today plus the study days until Ponder's due, so both
    show the same next due day; learning cards due before Anki's day ends go to the
    intraday queue (due in epoch seconds), later ones to the day-learning queue. Suspended
    and buried cards keep their queue. A new Ponder card leaves the Anki card alone.
    """
    if card.state == CardState.NEW:
        return False
    before = _schedule_tuple(anki_card)
    due = to_utc(card.due)
    days = _days_between(now, due, rollover_hour)
    hidden = anki_card.queue < 0
    if card.state == CardState.REVIEW:
        anki_card.type = 2
        queue, anki_card.due = 2, day.today + days
        last = to_utc(card.last_review) if card.last_review else now
        anki_card.ivl = max(1, _days_between(last, due, rollover_hour))
        anki_card.left = 0
    else:
        anki_card.type = 1 if card.state == CardState.LEARNING else 3
        if due.timestamp() < day.day_cutoff:
            queue, anki_card.due = 1, int(due.timestamp())
        else:
            queue, anki_card.due = 3, day.today + days
        anki_card.left = max(1, anki_card.left % 1000)
        if card.state == CardState.RELEARNING:
            anki_card.ivl = max(1, anki_card.ivl)
    if not hidden:
        anki_card.queue = queue
    anki_card.reps = card.reps
    anki_card.lapses = card.lapses
    if not anki_card.factor:
        anki_card.factor = 2500
    if day.fsrs and card.stability is not None and card.difficulty is not None:
        from anki.cards import FSRSMemoryState

        anki_card.memory_state = FSRSMemoryState(
            stability=float(card.stability), difficulty=float(card.difficulty)
        )
    if card.last_review is not None:
        anki_card.last_review_time = int(to_utc(card.last_review).timestamp())
    return _schedule_tuple(anki_card) != before


def _schedule_tuple(anki_card: Any) -> tuple[Any, ...]:
    return (
        anki_card.type,
        anki_card.queue,
        anki_card.due,
        anki_card.ivl,
        anki_card.left,
        anki_card.reps,
        anki_card.lapses,
        anki_card.factor,
        anki_card.last_review_time,
    )
