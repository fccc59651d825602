"""The review log: record an answer, undo it, reschedule, read the history."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from core import clock
from core.db import transaction
from decks.models import (
    LEECH_TAG,
    Card,
    ReviewLog,
    to_db_time,
    to_epoch_us,
)
from decks.store.notes import NoteStore
from decks.store.rows import (
    LOG_INSERT,
    _db_time_or_none,
    _log_from_row,
    _placeholders,
    _prior_state,
    _scheduling_columns,
    log_values,
    state_log_values,
)
from decks.store.values import (
    ImportedReview,
    StaleCard,
    UndoError,
)


class ReviewStore(NoteStore):
    """Answers and their log; each write is one transaction."""

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
        bury_until: tuple[Sequence[int], datetime] | None = None,
    ) -> tuple[int, bool]:
        """Write one review in one transaction: the card's new state and the log row
        (and, with `bury_until`, the siblings it buries until the next study day).

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
                LOG_INSERT, log_values(before, rating, reviewed_at, duration_ms, answer_text)
            )
            log_id = int(cursor.lastrowid or 0)
            leech_added = False
            if tag_leech:
                tagged = self.conn.execute(
                    "INSERT OR IGNORE INTO note_tags (note_id, tag) VALUES (?, ?)",
                    (row["note_id"], LEECH_TAG),
                )
                leech_added = tagged.rowcount > 0
            if bury_until is not None and bury_until[0]:
                siblings, until = list(bury_until[0]), to_db_time(bury_until[1])
                self.conn.execute(
                    "UPDATE cards SET buried_until = ?, modified_at = ? WHERE id IN"
                    f" ({', '.join('?' * len(siblings))})",
                    (until, stamp, *siblings),
                )
        return log_id, leech_added

    def add_reviews(
        self,
        before: Card,
        reviews: Sequence[ImportedReview],
        after: Card,
        now: datetime | None = None,
    ) -> list[int]:
        """Reviews made elsewhere (Anki) added to a card's log, and the card's scheduling
        set to `after` (its whole log replayed), in one transaction.

        Raises StaleCard if the card was reviewed or reset since `before` was read.
        Returns the new log ids, in the order given.
        """
        stamp = to_db_time(now or clock.now())
        with transaction(self.conn):
            row = self.conn.execute(
                "SELECT reps, last_review, state FROM cards WHERE id = ?", (before.id,)
            ).fetchone()
            if row is None:
                raise StaleCard(f"Card {before.id} was deleted.")
            if (
                row["reps"] != before.reps
                or row["last_review"] != _db_time_or_none(before.last_review)
                or row["state"] != before.state
            ):
                raise StaleCard(f"Card {before.id} changed since it was read.")
            self.conn.execute(
                "UPDATE cards SET state = ?, step = ?, stability = ?, difficulty = ?, due = ?,"
                " last_review = ?, reps = ?, lapses = ?, modified_at = ? WHERE id = ?",
                (*_scheduling_columns(after), after.reps, after.lapses, stamp, before.id),
            )
            ids = []
            for review in reviews:
                cursor = self.conn.execute(
                    LOG_INSERT,
                    state_log_values(
                        before.id,
                        review.state_before,
                        review.rating,
                        review.reviewed_at,
                        review.duration_ms,
                    ),
                )
                ids.append(int(cursor.lastrowid or 0))
        return ids

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
        """Restore the card from the log row's prior state and delete the row, in one
        transaction. Only the card's latest review can be undone."""
        with transaction(self.conn):
            row = self.conn.execute("SELECT * FROM review_log WHERE id = ?", (log_id,)).fetchone()
            if row is None:
                raise UndoError("That review is no longer in the log (already undone?).")
            latest = self.conn.execute(
                "SELECT id FROM review_log WHERE card_id = ? ORDER BY reviewed_us DESC, id DESC"
                " LIMIT 1",
                (row["card_id"],),
            ).fetchone()
            if latest is None or latest["id"] != log_id:
                raise UndoError("The card was reviewed again since; undo that review first.")
            before = _prior_state(row)
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
            "SELECT * FROM review_log WHERE card_id = ? ORDER BY reviewed_us, id", (card_id,)
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
            clauses.append("reviewed_us >= ?")
            params.append(to_epoch_us(since))
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        for row in self.conn.execute(
            f"SELECT * FROM review_log{where} ORDER BY reviewed_us, id", params
        ):
            yield _log_from_row(row)

    def studied_since(
        self, since: datetime, deck_ids: Sequence[int] | None = None
    ) -> tuple[int, int]:
        """(new cards introduced, review-state cards answered) since `since`."""
        # A correlated lookup per log row: SQLite walks today's rows by time. A join (or
        # `card_id IN (SELECT ...)`) makes it scan every card of the decks first.
        deck_clause, params = "", [to_epoch_us(since)]
        if deck_ids is not None:
            deck_clause = (
                " AND (SELECT c.deck_id FROM cards c WHERE c.id = l.card_id)"
                f" IN ({_placeholders(len(deck_ids))})"
            )
            params.extend(deck_ids)
        row = self.conn.execute(
            "SELECT COUNT(DISTINCT CASE WHEN l.prior_state = 0 THEN l.card_id END),"
            " SUM(l.prior_state = 2) FROM review_log l WHERE l.reviewed_us >= ?" + deck_clause,
            params,
        ).fetchone()
        return int(row[0] or 0), int(row[1] or 0)
