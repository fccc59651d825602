"""Decks: the `A::B` tree, per-deck counts, presets per deck, free recall per deck."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from core import clock
from core.db import transaction
from decks.models import (
    DECK_SEPARATOR,
    DEFAULT_PRESET_ID,
    Deck,
    normalise_deck_name,
    to_db_time,
)
from decks.store.base import StoreBase
from decks.store.rows import (
    _chunks,
    _deck_from_row,
    _placeholders,
    day_end,
)
from decks.store.values import (
    CardStoreError,
    DeckSummary,
    DueCount,
)

_SUMMARY_KEYS = ("cards", "new", "learning", "review", "suspended", "due_now", "due_today")
_STATE_KEYS = {0: "new", 1: "learning", 2: "review", 3: "learning"}


class DeckStore(StoreBase):
    """The deck tree and what is counted per deck."""

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
        self, now: datetime | None = None, *, rollover_hour: int
    ) -> list[DeckSummary]:
        """Every deck with its own counts (tree order). Sum over `subdeck_ids` for totals."""
        now = now or clock.now()
        end = day_end(now, rollover_hour)
        now_text, end_text = to_db_time(now), to_db_time(end)
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

    def set_deck_preset(self, deck_id: int, preset_id: int, *, subdecks: bool = False) -> None:
        ids = self.subdeck_ids(deck_id) if subdecks else [deck_id]
        with transaction(self.conn):
            if not self.conn.execute("SELECT 1 FROM presets WHERE id = ?", (preset_id,)).fetchone():
                raise CardStoreError(f"No preset {preset_id}.")
            self.conn.execute(
                f"UPDATE decks SET preset_id = ? WHERE id IN ({_placeholders(len(ids))})",
                (preset_id, *ids),
            )

    # -- free recall (decks.free_recall, migration 0004) --------------------------------------

    def deck_free_recall(self, deck_id: int) -> bool:
        """Whether reviews of this deck ask for a typed answer by default (False if no deck)."""
        row = self.conn.execute("SELECT free_recall FROM decks WHERE id = ?", (deck_id,)).fetchone()
        return bool(row and row[0])

    def free_recall_decks(self) -> set[int]:
        """Ids of every deck with free recall on (one query per review session)."""
        rows = self.conn.execute("SELECT id FROM decks WHERE free_recall != 0")
        return {int(row[0]) for row in rows}

    def set_deck_free_recall(
        self, deck_id: int, enabled: bool, *, subdecks: bool = True
    ) -> list[int]:
        """Turn free recall on or off for a deck (and, by default, its subdecks).

        Returns the ids of the decks set (empty when the deck does not exist)."""
        with transaction(self.conn):
            if self.deck(deck_id) is None:
                return []
            ids = self.subdeck_ids(deck_id) if subdecks else [deck_id]
            self.conn.executemany(
                "UPDATE decks SET free_recall = ? WHERE id = ?", [(int(enabled), i) for i in ids]
            )
        return ids
