"""CardStore: the SQL for presets, decks, notes, tags, cards and the review log.

A thin layer so screens, the CLI and the review/browse domain speak in dataclasses.
Every public method that writes is one transaction (`core.db.transaction`, BEGIN
IMMEDIATE, so two Ponder instances queue instead of failing). Times are written with
`decks.models.to_db_time` (one fixed format, so text order is time order).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from core import clock
from core.db import connect, transaction
from decks import cloze
from decks.models import (
    DECK_SEPARATOR,
    DEFAULT_DECK,
    DEFAULT_PRESET_ID,
    LEECH_TAG,
    Card,
    CardState,
    CardView,
    Deck,
    Note,
    NoteKind,
    Preset,
    ReviewLog,
    SourceRef,
    deck_name_for_title,
    from_db_time,
    normalise_deck_name,
    normalise_tags,
    to_db_time,
)


def _db_time_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else to_db_time(moment)


def _scheduling_columns(card: Card) -> tuple[object, ...]:
    """state, step, stability, difficulty, due, last_review: as the cards table holds them."""
    return (
        int(card.state),
        card.step,
        card.stability,
        card.difficulty,
        to_db_time(card.due),
        _db_time_or_none(card.last_review),
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

_VIEW_SELECT = """
SELECT c.id, c.note_id, c.ord, c.deck_id, c.state, c.step, c.stability, c.difficulty,
       c.due, c.last_review, c.reps, c.lapses, c.suspended, c.buried_until,
       c.created_at AS card_created_at, c.modified_at AS card_modified_at,
       n.guid, n.kind, n.front, n.back, n.source_id, n.source_title, n.first_segment,
       n.last_segment, n.start_s, n.highlight_id, n.created_at AS note_created_at,
       n.modified_at AS note_modified_at, d.name AS deck_name,
       (SELECT group_concat(t.tag, ' ') FROM note_tags t WHERE t.note_id = n.id) AS tags
FROM cards c JOIN notes n ON n.id = c.note_id JOIN decks d ON d.id = c.deck_id
"""

_ORDERS = {
    "created": "c.note_id {dir}, c.ord {dir}",
    "due": "c.state = 0 {dir}, c.due {dir}, c.id {dir}",
    "deck": "d.name COLLATE NOCASE {dir}, c.note_id {dir}, c.ord {dir}",
    "modified": "n.modified_at {dir}, c.id {dir}",
    "lapses": "c.lapses {dir}, c.id {dir}",
}


def _card_from_row(
    row: sqlite3.Row, created: str = "created_at", modified: str = "modified_at"
) -> Card:
    due = from_db_time(row["due"])
    assert due is not None
    return Card(
        id=row["id"],
        note_id=row["note_id"],
        ord=row["ord"],
        deck_id=row["deck_id"],
        state=CardState(row["state"]),
        due=due,
        step=row["step"],
        stability=row["stability"],
        difficulty=row["difficulty"],
        last_review=from_db_time(row["last_review"]),
        reps=row["reps"],
        lapses=row["lapses"],
        suspended=bool(row["suspended"]),
        buried_until=from_db_time(row["buried_until"]),
        created_at=from_db_time(row[created]),
        modified_at=from_db_time(row[modified]),
    )


def _source_from_row(row: sqlite3.Row) -> SourceRef | None:
    if row["source_id"] is None and row["source_title"] is None:
        return None
    return SourceRef(
        source_id=row["source_id"],
        source_title=row["source_title"],
        first_segment=row["first_segment"],
        last_segment=row["last_segment"],
        start_s=row["start_s"],
        highlight_id=row["highlight_id"],
    )


def _tags_from_text(text: str | None) -> tuple[str, ...]:
    return tuple(sorted(normalise_tags(text or ""), key=str.lower))


def _note_from_row(
    row: sqlite3.Row,
    note_id: str = "id",
    created: str = "created_at",
    modified: str = "modified_at",
    tags: tuple[str, ...] = (),
) -> Note:
    return Note(
        id=row[note_id],
        guid=row["guid"],
        kind=NoteKind(row["kind"]),
        front=row["front"],
        back=row["back"],
        tags=tags,
        source=_source_from_row(row),
        created_at=from_db_time(row[created]),
        modified_at=from_db_time(row[modified]),
    )


def _view_from_row(row: sqlite3.Row) -> CardView:
    card = _card_from_row(row, "card_created_at", "card_modified_at")
    note = _note_from_row(
        row, "note_id", "note_created_at", "note_modified_at", _tags_from_text(row["tags"])
    )
    return CardView(card=card, note=note, deck_name=row["deck_name"])


def _preset_from_row(row: sqlite3.Row) -> Preset:
    params = json.loads(row["parameters"]) if row["parameters"] else None
    return Preset(
        id=row["id"],
        name=row["name"],
        parameters=None if params is None else tuple(float(p) for p in params),
        desired_retention=row["desired_retention"],
        learning_steps=None
        if row["learning_steps"] is None
        else tuple(row["learning_steps"].split()),
        relearning_steps=(
            None if row["relearning_steps"] is None else tuple(row["relearning_steps"].split())
        ),
        maximum_interval=row["maximum_interval"],
        new_per_day=row["new_per_day"],
        reviews_per_day=row["reviews_per_day"],
        optimized_at=from_db_time(row["optimized_at"]),
    )


def _deck_from_row(row: sqlite3.Row) -> Deck:
    return Deck(
        id=row["id"],
        name=row["name"],
        parent_id=row["parent_id"],
        preset_id=row["preset_id"],
        created_at=from_db_time(row["created_at"]),
    )


def _log_from_row(row: sqlite3.Row) -> ReviewLog:
    reviewed = from_db_time(row["reviewed_at"])
    assert reviewed is not None
    return ReviewLog(
        id=row["id"],
        card_id=row["card_id"],
        rating=row["rating"],
        reviewed_at=reviewed,
        duration_ms=row["duration_ms"],
        state_before=json.loads(row["state_before"]),
        answer_text=row["answer_text"],
    )


def _placeholders(count: int) -> str:
    return ",".join("?" * count)


def _chunks(ids: Sequence[int], size: int = 500) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


_SUMMARY_KEYS = ("cards", "new", "learning", "review", "suspended", "due_now", "due_today")
_STATE_KEYS = {0: "new", 1: "learning", 2: "review", 3: "learning"}

_PRESET_FIELDS = (
    "desired_retention",
    "learning_steps",
    "relearning_steps",
    "maximum_interval",
    "new_per_day",
    "reviews_per_day",
)


class CardStore:
    """Decks, notes, cards and reviews in the Ponder database."""

    def __init__(self, conn: sqlite3.Connection | None = None) -> None:
        self.conn = conn if conn is not None else connect()

    def close(self) -> None:
        self.conn.close()

    # -- presets ---------------------------------------------------------------------------

    def presets(self) -> list[Preset]:
        rows = self.conn.execute("SELECT * FROM presets ORDER BY id")
        return [_preset_from_row(row) for row in rows]

    def preset(self, preset_id: int) -> Preset | None:
        row = self.conn.execute("SELECT * FROM presets WHERE id = ?", (preset_id,)).fetchone()
        return _preset_from_row(row) if row else None

    def preset_for_deck(self, deck_id: int | None) -> Preset:
        """The deck's preset; the default preset for None (all decks) or an unknown deck."""
        row = None
        if deck_id is not None:
            row = self.conn.execute(
                "SELECT p.* FROM presets p JOIN decks d ON d.preset_id = p.id WHERE d.id = ?",
                (deck_id,),
            ).fetchone()
        if row is None:
            row = self.conn.execute(
                "SELECT * FROM presets WHERE id = ?", (DEFAULT_PRESET_ID,)
            ).fetchone()
        if row is None:  # the default preset row was deleted by hand
            return Preset(id=DEFAULT_PRESET_ID, name="Default")
        return _preset_from_row(row)

    def create_preset(self, name: str, **values: Any) -> Preset:
        """A new preset; values as in `update_preset`."""
        name = " ".join(name.split())
        if not name:
            raise CardStoreError("A preset needs a name.")
        with transaction(self.conn):
            if self.conn.execute("SELECT 1 FROM presets WHERE name = ?", (name,)).fetchone():
                raise CardStoreError(f"A preset named {name!r} already exists.")
            cursor = self.conn.execute("INSERT INTO presets (name) VALUES (?)", (name,))
            preset_id = int(cursor.lastrowid or 0)
            self._update_preset(preset_id, values)
        preset = self.preset(preset_id)
        assert preset is not None
        return preset

    def update_preset(self, preset_id: int, **values: Any) -> Preset:
        """Set preset values (desired_retention, learning_steps (list or '1m 10m'),
        relearning_steps, maximum_interval, new_per_day, reviews_per_day); None = config."""
        with transaction(self.conn):
            self._update_preset(preset_id, values)
        preset = self.preset(preset_id)
        if preset is None:
            raise CardStoreError(f"No preset {preset_id}.")
        return preset

    def _update_preset(self, preset_id: int, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name not in _PRESET_FIELDS:
                raise CardStoreError(f"Unknown preset setting {name!r}.")
            if name.endswith("steps") and value is not None and not isinstance(value, str):
                value = " ".join(str(v) for v in value)
            self.conn.execute(f"UPDATE presets SET {name} = ? WHERE id = ?", (value, preset_id))

    def set_preset_parameters(
        self,
        preset_id: int,
        parameters: Sequence[float] | None,
        optimized_at: datetime | None = None,
    ) -> None:
        """Store fitted FSRS parameters (None = back to the defaults)."""
        if parameters is not None and len(parameters) != 21:
            raise CardStoreError("FSRS parameters are 21 numbers.")
        payload = None if parameters is None else json.dumps([float(p) for p in parameters])
        stamp = None
        if parameters is not None:
            stamp = to_db_time(optimized_at or clock.now())
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE presets SET parameters = ?, optimized_at = ? WHERE id = ?",
                (payload, stamp, preset_id),
            )

    def set_deck_preset(self, deck_id: int, preset_id: int, *, subdecks: bool = False) -> None:
        ids = self.subdeck_ids(deck_id) if subdecks else [deck_id]
        with transaction(self.conn):
            if not self.conn.execute("SELECT 1 FROM presets WHERE id = ?", (preset_id,)).fetchone():
                raise CardStoreError(f"No preset {preset_id}.")
            self.conn.execute(
                f"UPDATE decks SET preset_id = ? WHERE id IN ({_placeholders(len(ids))})",
                (preset_id, *ids),
            )

    # -- decks -----------------------------------------------------------------------------

    def ensure_deck(self, name: str) -> Deck:
        """The deck with this full name, created (with its parents) if missing."""
        with transaction(self.conn):
            return self._ensure_deck(name)

    def _ensure_deck(self, name: str, now: datetime | None = None) -> Deck:
        try:
            name = normalise_deck_name(name)
        except ValueError as error:
            raise CardStoreError(str(error)) from None
        row = self.conn.execute("SELECT * FROM decks WHERE name = ?", (name,)).fetchone()
        if row:
            return _deck_from_row(row)
        stamp = to_db_time(now or clock.now())
        parent_id: int | None = None
        preset_id = DEFAULT_PRESET_ID
        parts = name.split(DECK_SEPARATOR)
        for depth in range(1, len(parts) + 1):
            path = DECK_SEPARATOR.join(parts[:depth])
            row = self.conn.execute("SELECT * FROM decks WHERE name = ?", (path,)).fetchone()
            if row:
                parent_id, preset_id = row["id"], row["preset_id"]
                continue
            # A subdeck starts with its parent's preset, as in Anki.
            cursor = self.conn.execute(
                "INSERT INTO decks (name, parent_id, preset_id, created_at) VALUES (?, ?, ?, ?)",
                (path, parent_id, preset_id, stamp),
            )
            parent_id = int(cursor.lastrowid or 0)
        row = self.conn.execute("SELECT * FROM decks WHERE id = ?", (parent_id,)).fetchone()
        return _deck_from_row(row)

    def deck(self, deck_id: int) -> Deck | None:
        row = self.conn.execute("SELECT * FROM decks WHERE id = ?", (deck_id,)).fetchone()
        return _deck_from_row(row) if row else None

    def deck_by_name(self, name: str) -> Deck | None:
        try:
            name = normalise_deck_name(name)
        except ValueError:
            return None
        row = self.conn.execute("SELECT * FROM decks WHERE name = ?", (name,)).fetchone()
        return _deck_from_row(row) if row else None

    def resolve_deck(self, deck: str | int | Deck) -> Deck:
        """A deck from an id, a Deck or an existing full name; CardStoreError if none."""
        if isinstance(deck, Deck):
            return deck
        found = self.deck(deck) if isinstance(deck, int) else self.deck_by_name(deck)
        if found is None:
            raise CardStoreError(f"No deck named {deck!r}.")
        return found

    def decks(self) -> list[Deck]:
        """All decks, ordered as a tree (parents before children, names A..Z)."""
        rows = self.conn.execute("SELECT * FROM decks")
        decks = [_deck_from_row(row) for row in rows]
        return sorted(decks, key=lambda d: [part.lower() for part in d.parts])

    def subdeck_ids(self, deck_id: int) -> list[int]:
        """This deck's id and all its descendants'."""
        rows = self.conn.execute(
            "WITH RECURSIVE tree(id) AS (SELECT ? UNION ALL "
            "SELECT d.id FROM decks d JOIN tree ON d.parent_id = tree.id) SELECT id FROM tree",
            (deck_id,),
        )
        return [row[0] for row in rows]

    def deck_summaries(
        self, now: datetime | None = None, rollover_hour: int | None = None
    ) -> list[DeckSummary]:
        """Every deck with its own counts (tree order). Sum over `subdeck_ids` for totals."""
        now = now or clock.now()
        day_end = _day_end(now, rollover_hour)
        now_text, end_text = to_db_time(now), to_db_time(day_end)
        # Two cheap queries instead of one with many expressions per row: counts by state
        # walk the covering index; due counts read only the due part of the queue index.
        totals: dict[int, dict[str, int]] = {}
        for deck_id, state, count, suspended in self.conn.execute(
            "SELECT deck_id, state, COUNT(*), SUM(suspended) FROM cards GROUP BY deck_id, state"
        ):
            entry = totals.setdefault(deck_id, dict.fromkeys(_SUMMARY_KEYS, 0))
            entry["cards"] += count
            entry["suspended"] += suspended
            entry[_STATE_KEYS[state]] += count - suspended
        for deck_id, due_now, due_today in self.conn.execute(
            "SELECT deck_id, SUM(due <= ?), COUNT(*) FROM cards"
            " WHERE state > 0 AND suspended = 0 AND due < ?"
            " AND (buried_until IS NULL OR buried_until <= ?) GROUP BY deck_id",
            (now_text, end_text, now_text),
        ):
            entry = totals.setdefault(deck_id, dict.fromkeys(_SUMMARY_KEYS, 0))
            entry["due_now"], entry["due_today"] = due_now, due_today
        return [DeckSummary(deck, **totals.get(deck.id, {})) for deck in self.decks()]

    def due_counts(self, now: datetime | None = None) -> dict[int, DueCount]:
        """Per deck (own cards): learning and review cards due now, and new cards waiting."""
        now_text = to_db_time(now or clock.now())
        unburied = " AND (buried_until IS NULL OR buried_until <= ?)"
        counts: dict[int, dict[str, int]] = {}
        for deck_id, state, count in self.conn.execute(
            "SELECT deck_id, state, COUNT(*) FROM cards WHERE state > 0 AND suspended = 0"
            " AND due <= ?" + unburied + " GROUP BY deck_id, state",
            (now_text, now_text),
        ):
            entry = counts.setdefault(deck_id, {"learning": 0, "review": 0, "new": 0})
            entry[_STATE_KEYS[state]] += count
        for deck_id, count in self.conn.execute(
            "SELECT deck_id, COUNT(*) FROM cards WHERE state = 0 AND suspended = 0"
            + unburied
            + " GROUP BY deck_id",
            (now_text,),
        ):
            counts.setdefault(deck_id, {"learning": 0, "review": 0, "new": 0})["new"] = count
        return {deck_id: DueCount(**entry) for deck_id, entry in counts.items()}

    def rename_deck(self, deck_id: int, new_name: str) -> Deck:
        """Rename a deck and move its subdecks with it (`A::B` -> `C` makes `A::B::x` `C::x`)."""
        try:
            new_name = normalise_deck_name(new_name)
        except ValueError as error:
            raise CardStoreError(str(error)) from None
        with transaction(self.conn):
            deck = self.deck(deck_id)
            if deck is None:
                raise CardStoreError(f"No deck {deck_id}.")
            if new_name.lower() == deck.name.lower() and new_name == deck.name:
                return deck
            if new_name.lower().startswith(deck.name.lower() + DECK_SEPARATOR):
                raise CardStoreError("A deck cannot be moved inside itself.")
            clash = self.conn.execute(
                "SELECT id FROM decks WHERE name = ? AND id != ?", (new_name, deck_id)
            ).fetchone()
            if clash:
                raise CardStoreError(f"A deck named {new_name!r} already exists.")
            parent_name = DECK_SEPARATOR.join(new_name.split(DECK_SEPARATOR)[:-1])
            parent_id = self._ensure_deck(parent_name).id if parent_name else None
            for sub_id in self.subdeck_ids(deck_id):
                sub = self.deck(sub_id)
                assert sub is not None
                renamed = new_name if sub_id == deck_id else new_name + sub.name[len(deck.name) :]
                self.conn.execute("UPDATE decks SET name = ? WHERE id = ?", (renamed, sub_id))
            self.conn.execute("UPDATE decks SET parent_id = ? WHERE id = ?", (parent_id, deck_id))
        renamed_deck = self.deck(deck_id)
        assert renamed_deck is not None
        return renamed_deck

    def delete_deck(self, deck_id: int) -> int:
        """Delete a deck, its subdecks and their cards (and notes left without cards)."""
        ids = self.subdeck_ids(deck_id)
        with transaction(self.conn):
            note_rows = self.conn.execute(
                f"SELECT DISTINCT note_id FROM cards WHERE deck_id IN ({_placeholders(len(ids))})",
                ids,
            ).fetchall()
            count = self.conn.execute(
                f"SELECT COUNT(*) FROM cards WHERE deck_id IN ({_placeholders(len(ids))})", ids
            ).fetchone()[0]
            self.conn.execute("DELETE FROM decks WHERE id = ?", (deck_id,))
            self._delete_empty_notes([row[0] for row in note_rows])
        return int(count)

    def _delete_empty_notes(self, note_ids: Sequence[int]) -> None:
        for chunk in _chunks(list(note_ids)):
            self.conn.execute(
                f"DELETE FROM notes WHERE id IN ({_placeholders(len(chunk))})"
                " AND NOT EXISTS (SELECT 1 FROM cards WHERE cards.note_id = notes.id)",
                list(chunk),
            )

    # -- notes and cards -------------------------------------------------------------------

    def _source_title(self, source_id: int) -> str:
        row = self.conn.execute("SELECT title FROM sources WHERE id = ?", (source_id,)).fetchone()
        if row is None:
            raise CardStoreError(f"No transcript with id {source_id}.")
        return str(row["title"])

    def default_deck_name(self, source: SourceRef | None) -> str:
        """Cards go to a deck named after their transcript; hand-typed ones to Default."""
        if source is None:
            return DEFAULT_DECK
        if source.source_title:
            return deck_name_for_title(source.source_title)
        if source.source_id is not None:
            return deck_name_for_title(self._source_title(source.source_id))
        return DEFAULT_DECK

    def _complete_source(self, source: SourceRef | None) -> SourceRef | None:
        """Fill the title snapshot (and a start time from the first segment) if missing."""
        if source is None or source.source_id is None:
            return source
        title = source.source_title or self._source_title(source.source_id)
        start_s = source.start_s
        if start_s is None and source.first_segment is not None:
            row = self.conn.execute(
                "SELECT start FROM segments WHERE source_id = ? AND idx = ?",
                (source.source_id, source.first_segment),
            ).fetchone()
            start_s = row["start"] if row else None
        if source.highlight_id is not None:
            row = self.conn.execute(
                "SELECT source_id FROM highlights WHERE id = ?", (source.highlight_id,)
            ).fetchone()
            if row is None or row["source_id"] != source.source_id:
                raise CardStoreError(
                    f"No highlight {source.highlight_id} in transcript {source.source_id}."
                )
        return replace(source, source_title=title, start_s=start_s)

    def create_note(
        self,
        kind: NoteKind | str,
        front: str,
        back: str = "",
        *,
        deck: str | int | Deck | None = None,
        tags: Iterable[str] | str = (),
        source: SourceRef | None = None,
        now: datetime | None = None,
    ) -> CreatedNote:
        """A note and its cards, in one transaction. Default deck: named after the source."""
        try:
            kind = NoteKind(kind)
        except ValueError:
            raise CardStoreError(f"Unknown note kind {kind!r} (basic, reversed, cloze).") from None
        _check_note(kind, front, back)
        ords = card_ords(kind, front)
        now = now or clock.now()
        with transaction(self.conn):
            source = self._complete_source(source)
            if deck is None:
                target = self._ensure_deck(self.default_deck_name(source), now)
            elif isinstance(deck, str):
                target = self._ensure_deck(deck, now)
            else:
                target = self.resolve_deck(deck)
            note_id = self._insert_note(kind, front, back, normalise_tags(tags), source, now)
            self._insert_cards(note_id, ords, target.id, now)
        view_note = self.note(note_id)
        assert view_note is not None
        return CreatedNote(view_note, self.cards_of_note(note_id), target)

    def _insert_note(
        self,
        kind: NoteKind,
        front: str,
        back: str,
        tags: Sequence[str],
        source: SourceRef | None,
        now: datetime,
        guid: str | None = None,
    ) -> int:
        stamp = to_db_time(now)
        src = source or SourceRef(None)
        if guid is None or self._guid_taken(guid):
            guid = new_guid()
        cursor = self.conn.execute(
            "INSERT INTO notes (guid, kind, front, back, source_id, source_title, first_segment,"
            " last_segment, start_s, highlight_id, created_at, modified_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                guid,
                kind.value,
                front,
                back,
                src.source_id,
                src.source_title,
                src.first_segment,
                src.last_segment,
                src.start_s,
                src.highlight_id,
                stamp,
                stamp,
            ),
        )
        note_id = int(cursor.lastrowid or 0)
        self.conn.executemany(
            "INSERT OR IGNORE INTO note_tags (note_id, tag) VALUES (?, ?)",
            [(note_id, tag) for tag in tags],
        )
        return note_id

    def _guid_taken(self, guid: str) -> bool:
        return (
            self.conn.execute("SELECT 1 FROM notes WHERE guid = ?", (guid,)).fetchone() is not None
        )

    def _insert_cards(
        self, note_id: int, ords: Iterable[int], deck_id: int, now: datetime
    ) -> list[int]:
        stamp = to_db_time(now)
        ids = []
        for ord_ in ords:
            cursor = self.conn.execute(
                "INSERT INTO cards (note_id, ord, deck_id, state, due, created_at, modified_at)"
                " VALUES (?, ?, ?, 0, ?, ?, ?)",
                (note_id, ord_, deck_id, stamp, stamp, stamp),
            )
            ids.append(int(cursor.lastrowid or 0))
        return ids

    def create_notes_bulk(
        self, drafts: Iterable[NoteDraft], now: datetime | None = None
    ) -> list[int]:
        """Many notes in one transaction (imports, benchmarks); returns the note ids.

        Validates every draft first, so a bad one stops the batch before anything is written.
        """
        now = now or clock.now()
        prepared = []
        for number, draft in enumerate(drafts, start=1):
            try:
                kind = NoteKind(draft.kind)
                _check_note(kind, draft.front, draft.back)
                ords = card_ords(kind, draft.front)
            except (CardStoreError, ValueError) as error:
                raise CardStoreError(f"Note {number}: {error}") from None
            prepared.append((draft, kind, ords))
        note_ids: list[int] = []
        deck_cache: dict[str, int] = {}
        with transaction(self.conn):
            for draft, kind, ords in prepared:
                source = self._complete_source(draft.source)
                name = draft.deck or self.default_deck_name(source)
                deck_id = deck_cache.get(name)
                if deck_id is None:
                    deck_id = deck_cache[name] = self._ensure_deck(name, now).id
                created = draft.created_at or now
                note_id = self._insert_note(
                    kind,
                    draft.front,
                    draft.back,
                    normalise_tags(draft.tags),
                    source,
                    created,
                    draft.guid,
                )
                stamp = to_db_time(created)
                self.conn.executemany(
                    "INSERT INTO cards (note_id, ord, deck_id, state, due, created_at,"
                    " modified_at) VALUES (?, ?, ?, 0, ?, ?, ?)",
                    [(note_id, ord_, deck_id, stamp, stamp, stamp) for ord_ in ords],
                )
                note_ids.append(note_id)
        return note_ids

    def note(self, note_id: int) -> Note | None:
        row = self.conn.execute("SELECT * FROM notes WHERE id = ?", (note_id,)).fetchone()
        if row is None:
            return None
        return _note_from_row(row, tags=self.tags_of(note_id))

    def tags_of(self, note_id: int) -> tuple[str, ...]:
        rows = self.conn.execute("SELECT tag FROM note_tags WHERE note_id = ?", (note_id,))
        return tuple(sorted((row[0] for row in rows), key=str.lower))

    def get_card(self, card_id: int) -> Card | None:
        row = self.conn.execute("SELECT * FROM cards WHERE id = ?", (card_id,)).fetchone()
        return _card_from_row(row) if row else None

    def cards_of_note(self, note_id: int) -> list[Card]:
        rows = self.conn.execute("SELECT * FROM cards WHERE note_id = ? ORDER BY ord", (note_id,))
        return [_card_from_row(row) for row in rows]

    def card_view(self, card_id: int) -> CardView | None:
        row = self.conn.execute(_VIEW_SELECT + " WHERE c.id = ?", (card_id,)).fetchone()
        return _view_from_row(row) if row else None

    def card_views(self, card_ids: Sequence[int]) -> list[CardView]:
        """Views of these cards, in the order asked (missing ones skipped)."""
        found: dict[int, CardView] = {}
        for chunk in _chunks(list(card_ids)):
            rows = self.conn.execute(
                _VIEW_SELECT + f" WHERE c.id IN ({_placeholders(len(chunk))})", list(chunk)
            )
            for row in rows:
                found[row["id"]] = _view_from_row(row)
        return [found[card_id] for card_id in card_ids if card_id in found]

    def update_note(
        self,
        note_id: int,
        *,
        front: str | None = None,
        back: str | None = None,
        tags: Iterable[str] | str | None = None,
        kind: NoteKind | str | None = None,
        now: datetime | None = None,
    ) -> NoteUpdate:
        """Edit a note. Cards whose cloze number (or reverse side) disappears are deleted;
        new cloze numbers get new cards in the deck of the note's first card."""
        now = now or clock.now()
        with transaction(self.conn):
            note = self.note(note_id)
            if note is None:
                raise CardStoreError(f"No note {note_id}.")
            try:
                new_kind = NoteKind(kind) if kind is not None else note.kind
            except ValueError:
                raise CardStoreError(
                    f"Unknown note kind {kind!r} (basic, reversed, cloze)."
                ) from None
            new_front = note.front if front is None else front
            new_back = note.back if back is None else back
            _check_note(new_kind, new_front, new_back)
            wanted = set(card_ords(new_kind, new_front))
            self.conn.execute(
                "UPDATE notes SET kind = ?, front = ?, back = ?, modified_at = ? WHERE id = ?",
                (new_kind.value, new_front, new_back, to_db_time(now), note_id),
            )
            if tags is not None:
                self.conn.execute("DELETE FROM note_tags WHERE note_id = ?", (note_id,))
                self.conn.executemany(
                    "INSERT OR IGNORE INTO note_tags (note_id, tag) VALUES (?, ?)",
                    [(note_id, tag) for tag in normalise_tags(tags)],
                )
            existing = {card.ord: card for card in self.cards_of_note(note_id)}
            removed = [card.id for ord_, card in existing.items() if ord_ not in wanted]
            if removed:
                self.conn.execute(
                    f"DELETE FROM cards WHERE id IN ({_placeholders(len(removed))})", removed
                )
            added: list[int] = []
            missing = sorted(wanted - set(existing))
            if missing:
                deck_id = (
                    existing[min(existing)].deck_id
                    if existing
                    else self._ensure_deck(DEFAULT_DECK, now).id
                )
                added = self._insert_cards(note_id, missing, deck_id, now)
        updated = self.note(note_id)
        assert updated is not None
        return NoteUpdate(updated, added, removed)

    def delete_note(self, note_id: int) -> bool:
        """Delete a note with its cards and their review history."""
        with transaction(self.conn):
            cursor = self.conn.execute("DELETE FROM notes WHERE id = ?", (note_id,))
        return cursor.rowcount > 0

    def delete_notes(self, note_ids: Sequence[int]) -> int:
        deleted = 0
        with transaction(self.conn):
            for chunk in _chunks(list(note_ids)):
                cursor = self.conn.execute(
                    f"DELETE FROM notes WHERE id IN ({_placeholders(len(chunk))})", list(chunk)
                )
                deleted += cursor.rowcount
        return deleted

    def delete_cards(self, card_ids: Sequence[int]) -> int:
        """Delete cards (with their history); a note left without cards goes too."""
        deleted = 0
        with transaction(self.conn):
            note_ids: set[int] = set()
            for chunk in _chunks(list(card_ids)):
                marks = _placeholders(len(chunk))
                note_ids.update(
                    row[0]
                    for row in self.conn.execute(
                        f"SELECT note_id FROM cards WHERE id IN ({marks})", list(chunk)
                    )
                )
                cursor = self.conn.execute(f"DELETE FROM cards WHERE id IN ({marks})", list(chunk))
                deleted += cursor.rowcount
            self._delete_empty_notes(sorted(note_ids))
        return deleted

    def move_to_deck(self, card_ids: Sequence[int], deck: str | int | Deck) -> Deck:
        """Move cards to a deck (a name is created if it does not exist)."""
        now = clock.now()
        with transaction(self.conn):
            target = (
                self._ensure_deck(deck, now) if isinstance(deck, str) else self.resolve_deck(deck)
            )
            self._update_cards(card_ids, "deck_id = ?", (target.id,), now)
        return target

    def _update_cards(
        self, card_ids: Sequence[int], assignments: str, values: tuple[Any, ...], now: datetime
    ) -> int:
        changed = 0
        for chunk in _chunks(list(card_ids)):
            cursor = self.conn.execute(
                f"UPDATE cards SET {assignments}, modified_at = ?"
                f" WHERE id IN ({_placeholders(len(chunk))})",
                (*values, to_db_time(now), *chunk),
            )
            changed += cursor.rowcount
        return changed

    def set_suspended(self, card_ids: Sequence[int], suspended: bool = True) -> int:
        """Suspend (hide from review until unsuspended) or unsuspend cards."""
        with transaction(self.conn):
            return self._update_cards(card_ids, "suspended = ?", (int(suspended),), clock.now())

    def bury(self, card_ids: Sequence[int], until: datetime) -> int:
        """Hide cards from review until `until` (the next study day)."""
        with transaction(self.conn):
            return self._update_cards(
                card_ids, "buried_until = ?", (to_db_time(until),), clock.now()
            )

    def unbury(self, card_ids: Sequence[int]) -> int:
        with transaction(self.conn):
            return self._update_cards(card_ids, "buried_until = NULL", (), clock.now())

    def restore_flags(self, card_id: int, suspended: bool, buried_until: datetime | None) -> None:
        """Put back a card's suspended/buried flags (undo of bury or suspend)."""
        with transaction(self.conn):
            self._update_cards(
                [card_id],
                "suspended = ?, buried_until = ?",
                (int(suspended), _db_time_or_none(buried_until)),
                clock.now(),
            )

    def reset_card(
        self, card_ids: Sequence[int], *, reset_counts: bool = False, now: datetime | None = None
    ) -> int:
        """Forget: cards become new again (at the end of the new queue). The review log is
        kept; `reset_counts` also zeroes reps and lapses."""
        now = now or clock.now()
        counts = ", reps = 0, lapses = 0" if reset_counts else ""
        with transaction(self.conn):
            return self._update_cards(
                card_ids,
                "state = 0, step = NULL, stability = NULL, difficulty = NULL, due = ?,"
                " last_review = NULL, buried_until = NULL" + counts,
                (to_db_time(now),),
                now,
            )

    def add_tags(self, note_ids: Sequence[int], tags: Iterable[str] | str) -> None:
        clean = normalise_tags(tags)
        with transaction(self.conn):
            self.conn.executemany(
                "INSERT OR IGNORE INTO note_tags (note_id, tag) VALUES (?, ?)",
                [(note_id, tag) for note_id in note_ids for tag in clean],
            )

    def remove_tags(self, note_ids: Sequence[int], tags: Iterable[str] | str) -> None:
        clean = normalise_tags(tags)
        with transaction(self.conn):
            self.conn.executemany(
                "DELETE FROM note_tags WHERE note_id = ? AND tag = ?",
                [(note_id, tag) for note_id in note_ids for tag in clean],
            )

    def all_tags(self) -> list[tuple[str, int]]:
        """Every tag with the number of notes carrying it."""
        rows = self.conn.execute(
            "SELECT tag, COUNT(*) FROM note_tags GROUP BY tag ORDER BY tag COLLATE NOCASE"
        )
        return [(row[0], row[1]) for row in rows]

    # -- by source (library screen) --------------------------------------------------------

    def cards_for_source(self, source_id: int) -> list[CardView]:
        rows = self.conn.execute(
            _VIEW_SELECT + " WHERE n.source_id = ? ORDER BY n.first_segment, c.note_id, c.ord",
            (source_id,),
        )
        return [_view_from_row(row) for row in rows]

    def card_counts_by_source(self, now: datetime | None = None) -> dict[int, tuple[int, int]]:
        """source_id -> (cards, cards due now) for the library list."""
        now_text = to_db_time(now or clock.now())
        rows = self.conn.execute(
            """
            SELECT n.source_id, COUNT(*),
                   SUM(c.state > 0 AND c.suspended = 0 AND c.due <= ?
                       AND (c.buried_until IS NULL OR c.buried_until <= ?))
            FROM cards c JOIN notes n ON n.id = c.note_id
            WHERE n.source_id IS NOT NULL GROUP BY n.source_id
            """,
            (now_text, now_text),
        )
        return {row[0]: (row[1], row[2] or 0) for row in rows}

    def source_counts(self, card_ids: Iterable[int]) -> dict[int, int]:
        """source_id -> how many of these cards come from it."""
        rows = self.conn.execute(
            """
            SELECT n.source_id, COUNT(*) FROM cards c JOIN notes n ON n.id = c.note_id
            WHERE n.source_id IS NOT NULL AND c.id IN (SELECT value FROM json_each(?))
            GROUP BY n.source_id
            """,
            (json.dumps(sorted(card_ids)),),
        )
        return {row[0]: row[1] for row in rows}

    def notes_for_highlight(self, highlight_id: int) -> list[Note]:
        rows = self.conn.execute(
            "SELECT id FROM notes WHERE highlight_id = ? ORDER BY id", (highlight_id,)
        ).fetchall()
        return [note for row in rows if (note := self.note(row[0])) is not None]

    # -- reviews ---------------------------------------------------------------------------

    def record_review(
        self,
        before: Card,
        after: Card,
        rating: int,
        reviewed_at: datetime,
        duration_ms: int | None,
        *,
        answer_text: str | None = None,
        tag_leech: bool = False,
    ) -> tuple[int, bool]:
        """Write one review in one transaction: the card's new state and the log row.

        Raises StaleCard if the card changed since `before` was read (another instance
        reviewed or reset it). Returns (log id, whether the leech tag was added now).
        """
        stamp = to_db_time(reviewed_at)
        with transaction(self.conn):
            row = self.conn.execute(
                "SELECT note_id, reps, last_review, state FROM cards WHERE id = ?", (before.id,)
            ).fetchone()
            if row is None:
                raise StaleCard(f"Card {before.id} was deleted.")
            last = _db_time_or_none(before.last_review)
            if (
                row["reps"] != before.reps
                or row["last_review"] != last
                or row["state"] != before.state
            ):
                raise StaleCard(f"Card {before.id} changed since it was shown.")
            self.conn.execute(
                "UPDATE cards SET state = ?, step = ?, stability = ?, difficulty = ?, due = ?,"
                " last_review = ?, reps = ?, lapses = ?, buried_until = NULL, modified_at = ?"
                " WHERE id = ?",
                (
                    *_scheduling_columns(after),
                    after.reps,
                    after.lapses,
                    stamp,
                    before.id,
                ),
            )
            cursor = self.conn.execute(
                "INSERT INTO review_log (card_id, rating, reviewed_at, duration_ms, prior_state,"
                " state_before, answer_text) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    before.id,
                    int(rating),
                    stamp,
                    duration_ms,
                    int(before.state),
                    json.dumps(before.scheduling_state()),
                    answer_text,
                ),
            )
            log_id = int(cursor.lastrowid or 0)
            leech_added = False
            if tag_leech:
                tagged = self.conn.execute(
                    "INSERT OR IGNORE INTO note_tags (note_id, tag) VALUES (?, ?)",
                    (row["note_id"], LEECH_TAG),
                )
                leech_added = tagged.rowcount > 0
        return log_id, leech_added

    def set_scheduling(
        self, changes: Iterable[tuple[Card, Card]], now: datetime | None = None
    ) -> int:
        """Write new memory states and due dates (rescheduling), in one transaction.

        Each pair is (card as read, card with its new scheduling state). A card reviewed
        since it was read (reps or last review differ) is left alone, not overwritten.
        Reps, lapses, suspension and burying are kept. Returns how many cards were written.
        """
        stamp = to_db_time(now or clock.now())
        rows = [
            (
                *_scheduling_columns(after),
                stamp,
                before.id,
                before.reps,
                _db_time_or_none(before.last_review),
            )
            for before, after in changes
        ]
        written = 0
        with transaction(self.conn):
            for row in rows:
                cursor = self.conn.execute(
                    "UPDATE cards SET state = ?, step = ?, stability = ?, difficulty = ?,"
                    " due = ?, last_review = ?, modified_at = ? WHERE id = ? AND reps = ?"
                    " AND last_review IS ?",
                    row,
                )
                written += cursor.rowcount
        return written

    def undo_review(self, log_id: int, *, remove_leech_tag: bool = False) -> Card:
        """Restore the card from the log row's `state_before` and delete the row, in one
        transaction. Only the card's latest review can be undone."""
        with transaction(self.conn):
            row = self.conn.execute("SELECT * FROM review_log WHERE id = ?", (log_id,)).fetchone()
            if row is None:
                raise UndoError("That review is no longer in the log (already undone?).")
            latest = self.conn.execute(
                "SELECT id FROM review_log WHERE card_id = ? ORDER BY reviewed_at DESC, id DESC"
                " LIMIT 1",
                (row["card_id"],),
            ).fetchone()
            if latest is None or latest["id"] != log_id:
                raise UndoError("The card was reviewed again since; undo that review first.")
            before = json.loads(row["state_before"])
            self.conn.execute(
                "UPDATE cards SET state = ?, step = ?, stability = ?, difficulty = ?, due = ?,"
                " last_review = ?, reps = ?, lapses = ?, buried_until = ?, modified_at = ?"
                " WHERE id = ?",
                (
                    before["state"],
                    before["step"],
                    before["stability"],
                    before["difficulty"],
                    before["due"],
                    before["last_review"],
                    before["reps"],
                    before["lapses"],
                    before.get("buried_until"),
                    to_db_time(clock.now()),
                    row["card_id"],
                ),
            )
            self.conn.execute("DELETE FROM review_log WHERE id = ?", (log_id,))
            if remove_leech_tag:
                self.conn.execute(
                    "DELETE FROM note_tags WHERE tag = ? AND note_id ="
                    " (SELECT note_id FROM cards WHERE id = ?)",
                    (LEECH_TAG, row["card_id"]),
                )
        card = self.get_card(row["card_id"])
        assert card is not None
        return card

    def review_logs(self, card_id: int) -> list[ReviewLog]:
        rows = self.conn.execute(
            "SELECT * FROM review_log WHERE card_id = ? ORDER BY reviewed_at, id", (card_id,)
        )
        return [_log_from_row(row) for row in rows]

    def iter_review_logs(
        self, deck_ids: Sequence[int] | None = None, since: datetime | None = None
    ) -> Iterator[ReviewLog]:
        """Every review (optionally of some decks, from a time on), oldest first."""
        clauses, params = [], []
        if deck_ids is not None:
            clauses.append(
                "card_id IN (SELECT id FROM cards WHERE deck_id IN"
                f" ({_placeholders(len(deck_ids))}))"
            )
            params.extend(deck_ids)
        if since is not None:
            clauses.append("reviewed_at >= ?")
            params.append(to_db_time(since))
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        for row in self.conn.execute(
            f"SELECT * FROM review_log{where} ORDER BY reviewed_at, id", params
        ):
            yield _log_from_row(row)

    def studied_since(
        self, since: datetime, deck_ids: Sequence[int] | None = None
    ) -> tuple[int, int]:
        """(new cards introduced, review-state cards answered) since `since`."""
        # A correlated lookup per log row: SQLite walks today's rows by time. A join (or
        # `card_id IN (SELECT ...)`) makes it scan every card of the decks first.
        deck_clause, params = "", [to_db_time(since)]
        if deck_ids is not None:
            deck_clause = (
                " AND (SELECT c.deck_id FROM cards c WHERE c.id = l.card_id)"
                f" IN ({_placeholders(len(deck_ids))})"
            )
            params.extend(deck_ids)
        row = self.conn.execute(
            "SELECT COUNT(DISTINCT CASE WHEN l.prior_state = 0 THEN l.card_id END),"
            " SUM(l.prior_state = 2) FROM review_log l WHERE l.reviewed_at >= ?" + deck_clause,
            params,
        ).fetchone()
        return int(row[0] or 0), int(row[1] or 0)

    # -- queue queries (used by decks.queue) ----------------------------------------------

    def _deck_clause(self, deck_ids: Sequence[int] | None) -> tuple[str, list[Any]]:
        if deck_ids is None:
            return "", []
        return f" AND deck_id IN ({_placeholders(len(deck_ids))})", list(deck_ids)

    def queue_candidates(
        self,
        kind: str,
        now: datetime,
        day_end: datetime,
        deck_ids: Sequence[int] | None,
        limit: int | None = None,
    ) -> list[tuple[int, datetime]]:
        """(card id, due) of unsuspended, unburied cards: kind 'learning' (due before the
        day ends), 'review' (due before the day ends) or 'new' (creation order)."""
        deck_clause, deck_params = self._deck_clause(deck_ids)
        now_text = to_db_time(now)
        bury = " AND (buried_until IS NULL OR buried_until <= ?)"
        if kind == "learning":
            sql = "SELECT id, due FROM cards WHERE state IN (1, 3) AND suspended = 0 AND due < ?"
            params: list[Any] = [to_db_time(day_end)]
        elif kind == "review":
            sql = "SELECT id, due FROM cards WHERE state = 2 AND suspended = 0 AND due < ?"
            params = [to_db_time(day_end)]
        elif kind == "new":
            sql = "SELECT id, due FROM cards WHERE state = 0 AND suspended = 0"
            params = []
        else:
            raise ValueError(kind)
        sql += bury + deck_clause + " ORDER BY due, id"
        params += [now_text, *deck_params]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, limit))
        return [(row[0], from_db_time(row[1])) for row in self.conn.execute(sql, params)]  # type: ignore[misc]

    def next_due(self, after: datetime, deck_ids: Sequence[int] | None = None) -> datetime | None:
        """The earliest due time after `after` among scheduled (not new) cards."""
        deck_clause, deck_params = self._deck_clause(deck_ids)
        row = self.conn.execute(
            "SELECT MIN(due) FROM cards WHERE state > 0 AND suspended = 0 AND due > ?"
            + deck_clause,
            [to_db_time(after), *deck_params],
        ).fetchone()
        return from_db_time(row[0]) if row and row[0] else None

    def count_due_between(
        self, start: datetime | None, end: datetime, deck_ids: Sequence[int] | None = None
    ) -> int:
        """Scheduled, unsuspended cards with start <= due < end (start None = any past)."""
        deck_clause, deck_params = self._deck_clause(deck_ids)
        sql = "SELECT COUNT(*) FROM cards WHERE state > 0 AND suspended = 0 AND due < ?"
        params: list[Any] = [to_db_time(end)]
        if start is not None:
            sql += " AND due >= ?"
            params.append(to_db_time(start))
        row = self.conn.execute(sql + deck_clause, [*params, *deck_params]).fetchone()
        return int(row[0])

    # -- browse ---------------------------------------------------------------------------

    def _filter_sql(
        self, query: CardFilter, now: datetime, rollover_hour: int | None
    ) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if query.deck_id is not None:
            ids = self.subdeck_ids(query.deck_id) if query.include_subdecks else [query.deck_id]
            clauses.append(f"c.deck_id IN ({_placeholders(len(ids))})")
            params.extend(ids)
        if query.card_ids is not None:
            ids = list(query.card_ids) or [-1]
            clauses.append(f"c.id IN ({_placeholders(len(ids))})")
            params.extend(ids)
        if query.note_id is not None:
            clauses.append("c.note_id = ?")
            params.append(query.note_id)
        if query.source_id is not None:
            clauses.append("n.source_id = ?")
            params.append(query.source_id)
        if query.tag:
            tag = query.tag.strip()
            clauses.append(
                "c.note_id IN (SELECT note_id FROM note_tags"
                " WHERE tag = ? OR tag LIKE ? ESCAPE '\\')"
            )
            params.extend([tag, _like_escape(tag) + "::%"])
        for word in _search_words(query.text):
            pattern = f"%{_like_escape(word)}%"
            clauses.append("(n.front LIKE ? ESCAPE '\\' OR n.back LIKE ? ESCAPE '\\')")
            params.extend([pattern, pattern])
        if query.state:
            state_sql, state_params = _state_clause(query.state, now, rollover_hour)
            clauses.append(state_sql)
            params.extend(state_params)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        return where, params

    def search(
        self, query: CardFilter, now: datetime | None = None, rollover_hour: int | None = None
    ) -> list[CardView]:
        """Cards matching the filter, as views (see CardFilter)."""
        now = now or clock.now()
        where, params = self._filter_sql(query, now, rollover_hour)
        order = _ORDERS.get(query.order, _ORDERS["created"]).format(
            dir="DESC" if query.descending else "ASC"
        )
        sql = _VIEW_SELECT + where + " ORDER BY " + order
        if query.limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params.extend([max(0, query.limit), max(0, query.offset)])
        return [_view_from_row(row) for row in self.conn.execute(sql, params)]

    def count(
        self, query: CardFilter, now: datetime | None = None, rollover_hour: int | None = None
    ) -> int:
        now = now or clock.now()
        where, params = self._filter_sql(query, now, rollover_hour)
        sql = "SELECT COUNT(*) FROM cards c JOIN notes n ON n.id = c.note_id" + where
        return int(self.conn.execute(sql, params).fetchone()[0])


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search_words(text: str) -> list[str]:
    """Words to find (all must occur); "quoted phrases" stay whole."""
    words: list[str] = []
    text = text.strip()
    while text:
        if text.startswith('"'):
            end = text.find('"', 1)
            if end == -1:
                end = len(text)
            phrase = text[1:end]
            if phrase.strip():
                words.append(phrase)
            text = text[end + 1 :].strip()
        else:
            word, _, text = text.partition(" ")
            if word:
                words.append(word)
            text = text.strip()
    return words


def _day_end(now: datetime, rollover_hour: int | None) -> datetime:
    from core.clock import next_study_day_start

    if rollover_hour is None:
        from core.config import load

        rollover_hour = load().day_rollover_hour
    return next_study_day_start(now, rollover_hour)


def _state_clause(state: str, now: datetime, rollover_hour: int | None) -> tuple[str, list[Any]]:
    now_text = to_db_time(now)
    unburied = "(c.buried_until IS NULL OR c.buried_until <= ?)"
    match state:
        case "new":
            return "c.state = 0 AND c.suspended = 0", []
        case "learning":
            return "c.state IN (1, 3) AND c.suspended = 0", []
        case "review":
            return "c.state = 2 AND c.suspended = 0", []
        case "suspended":
            return "c.suspended = 1", []
        case "buried":
            return "c.buried_until > ?", [now_text]
        case "leech":
            return "c.note_id IN (SELECT note_id FROM note_tags WHERE tag = ?)", [LEECH_TAG]
        case "due":
            end = to_db_time(_day_end(now, rollover_hour))
            return f"c.state > 0 AND c.suspended = 0 AND c.due < ? AND {unburied}", [end, now_text]
        case "due_now":
            return f"c.state > 0 AND c.suspended = 0 AND c.due <= ? AND {unburied}", [
                now_text,
                now_text,
            ]
    raise CardStoreError(f"Unknown card state {state!r} (one of {', '.join(STATE_FILTERS)}).")


def bury_until(now: datetime, rollover_hour: int) -> datetime:
    """Buried cards come back when the next study day starts."""
    from core.clock import next_study_day_start

    return next_study_day_start(now, rollover_hour)


__all__ = [
    "CardFilter",
    "CardStore",
    "CardStoreError",
    "CreatedNote",
    "DeckSummary",
    "DueCount",
    "NoteDraft",
    "NoteUpdate",
    "StaleCard",
    "UndoError",
    "bury_until",
    "new_guid",
]
