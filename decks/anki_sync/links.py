"""The sync's own tables in Ponder's database (migration 0008): which Ponder note is which
Anki note, which reviews both sides already have, and a few facts about the last sync.

This is the only SQL the sync writes; everything else on Ponder's side goes through
CardStore. Each method that writes is one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from core.db import transaction


class NoteLink(NamedTuple):  # a tuple: tens of thousands are read on every sync
    note_id: int
    guid: str
    anki_note_id: int
    ponder_mod: str  # the note's modified_at (db text) at the last sync
    anki_mod: int  # the Anki note's mod (epoch s) at the last sync
    anki_usn: int = -1  # the Anki note's usn at the last sync (-1: not pushed yet)


@dataclass(frozen=True, slots=True)
class ReviewLink:
    revlog_id: int
    card_id: int
    reviewed_at: str  # db time text, as in Ponder's review log


class SyncLinks:
    """Mapping rows between Ponder and the bridge collection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    # -- notes ---------------------------------------------------------------------------

    def notes(self) -> dict[int, NoteLink]:
        rows = self.conn.execute(
            "SELECT note_id, guid, anki_note_id, ponder_mod, anki_mod, anki_usn FROM anki_notes"
        )
        return {link.note_id: link for link in map(NoteLink._make, rows)}

    def note_pairs(self) -> list[tuple[int, int]]:
        """(Ponder note id, Anki note id) of every link."""
        rows = self.conn.execute("SELECT note_id, anki_note_id FROM anki_notes")
        return [(row[0], row[1]) for row in rows]

    def link_notes(self, links: Iterable[NoteLink]) -> None:
        rows = [
            (
                link.note_id,
                link.guid,
                link.anki_note_id,
                link.ponder_mod,
                link.anki_mod,
                link.anki_usn,
            )
            for link in links
        ]
        if not rows:
            return
        with transaction(self.conn):
            for row in rows:
                # A new link for an Anki note replaces any stale link to it.
                self.conn.execute(
                    "DELETE FROM anki_notes WHERE anki_note_id = ? AND note_id != ?",
                    (row[2], row[0]),
                )
            self.conn.executemany(
                "INSERT OR REPLACE INTO anki_notes (note_id, guid, anki_note_id, ponder_mod,"
                " anki_mod, anki_usn) VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )

    def unpushed_notes(self) -> list[int]:
        """Anki note ids linked while their usn was -1 (pushed since, or about to be)."""
        rows = self.conn.execute("SELECT anki_note_id FROM anki_notes WHERE anki_usn = -1")
        return [row[0] for row in rows]

    def set_anki_versions(self, versions: Iterable[tuple[int, int, int]]) -> None:
        """(anki note id, mod, usn) as the bridge has them now (after a push)."""
        rows = [(mod, usn, anki_id) for anki_id, mod, usn in versions]
        if rows:
            with transaction(self.conn):
                self.conn.executemany(
                    "UPDATE anki_notes SET anki_mod = ?, anki_usn = ? WHERE anki_note_id = ?",
                    rows,
                )

    def unlink_notes(self, note_ids: Iterable[int]) -> None:
        ids = [(note_id,) for note_id in note_ids]
        if ids:
            with transaction(self.conn):
                self.conn.executemany("DELETE FROM anki_notes WHERE note_id = ?", ids)

    def clear_notes(self) -> None:
        """Forget every note link (after a full download: notes are matched by guid again)."""
        with transaction(self.conn):
            self.conn.execute("DELETE FROM anki_notes")

    # -- reviews -------------------------------------------------------------------------

    def reviews(self) -> dict[int, ReviewLink]:
        rows = self.conn.execute("SELECT revlog_id, card_id, reviewed_at FROM anki_reviews")
        return {row[0]: ReviewLink(*row) for row in rows}

    def link_reviews(self, links: Iterable[ReviewLink], pending: list[int] | None = None) -> None:
        """Write review links; with `pending`, also (in the same transaction) the revlog ids
        about to be inserted into the bridge, so a run killed before that insert redoes it."""
        rows = [(link.revlog_id, link.card_id, link.reviewed_at) for link in links]
        if not rows and pending is None:
            return
        with transaction(self.conn):
            self.conn.executemany(
                "INSERT OR REPLACE INTO anki_reviews (revlog_id, card_id, reviewed_at)"
                " VALUES (?, ?, ?)",
                rows,
            )
            if pending is not None:
                self.conn.execute(
                    "INSERT OR REPLACE INTO anki_sync_state (key, value) VALUES (?, ?)",
                    ("pending_push", json.dumps(pending)),
                )

    def known_revlog_ids(self, revlog_ids: Iterable[int]) -> set[int]:
        """Which of these Anki revlog ids are linked already."""
        ids = list(revlog_ids)
        found: set[int] = set()
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            marks = ",".join("?" * len(chunk))
            found.update(
                row[0]
                for row in self.conn.execute(
                    f"SELECT revlog_id FROM anki_reviews WHERE revlog_id IN ({marks})", chunk
                )
            )
        return found

    def stamps_since(self, since: str | None) -> dict[tuple[int, str], int]:
        """(card id, reviewed_at) -> revlog id of linked reviews from `since` on (None: all)."""
        if since is None:
            rows = self.conn.execute("SELECT card_id, reviewed_at, revlog_id FROM anki_reviews")
        else:
            rows = self.conn.execute(
                "SELECT card_id, reviewed_at, revlog_id FROM anki_reviews WHERE reviewed_at >= ?",
                (since,),
            )
        return {(row[0], row[1]): row[2] for row in rows}

    def reviews_by_id(self, revlog_ids: Iterable[int]) -> list[ReviewLink]:
        ids = list(revlog_ids)
        found: list[ReviewLink] = []
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            marks = ",".join("?" * len(chunk))
            found.extend(
                ReviewLink(*row)
                for row in self.conn.execute(
                    "SELECT revlog_id, card_id, reviewed_at FROM anki_reviews"
                    f" WHERE revlog_id IN ({marks})",
                    chunk,
                )
            )
        return found

    def review_count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM anki_reviews").fetchone()[0])

    def note_count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM anki_notes").fetchone()[0])

    # -- state ---------------------------------------------------------------------------

    def get(self, key: str) -> Any:
        row = self.conn.execute(
            "SELECT value FROM anki_sync_state WHERE key = ?", (key,)
        ).fetchone()
        return None if row is None else json.loads(row[0])

    def set(self, **values: Any) -> None:
        with transaction(self.conn):
            self.conn.executemany(
                "INSERT OR REPLACE INTO anki_sync_state (key, value) VALUES (?, ?)",
                [(key, json.dumps(value)) for key, value in values.items()],
            )

    def forget_account(self) -> None:
        """Another account (or a lost bridge): no link from the old one holds any more."""
        with transaction(self.conn):
            self.conn.execute("DELETE FROM anki_notes")
            self.conn.execute("DELETE FROM anki_reviews")
            self.conn.execute("DELETE FROM anki_sync_state")
