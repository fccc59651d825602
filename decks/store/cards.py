"""Edits over many cards: move, suspend, bury, forget, tags; counts by transcript."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from core import clock
from core.db import transaction
from decks.models import (
    CardView,
    Deck,
    Note,
    normalise_tags,
    to_db_time,
)
from decks.store.notes import NoteStore
from decks.store.rows import (
    _VIEW_SELECT,
    _chunks,
    _db_time_or_none,
    _placeholders,
    _view_from_row,
)


class CardEdits(NoteStore):
    """Bulk card edits (browse, review actions) and per-transcript lookups."""

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
