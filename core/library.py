"""The library repository: sources, segments, highlights and reading positions.

A thin layer over SQL so screens and the CLI speak in domain objects. Every public
method that writes is one transaction.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, replace
from datetime import datetime

from core.db import connect, transaction
from core.models import Highlight, Segment, Source, Transcript, utc_now
from core.search import index_source
from core.textsafe import from_os


@dataclass(frozen=True, slots=True)
class AddResult:
    """The stored source's id, and whether it was already in the library."""

    source_id: int
    existed: bool


def content_hash(segments: list[Segment]) -> str:
    """A fingerprint of what was said and when, so a re-import is recognised."""
    rows = [[seg.start, seg.end, seg.speaker, seg.text] for seg in segments]
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


MAX_TITLE_LENGTH = 300


def clean_title(title: str) -> str:
    """A typed title as one line: runs of whitespace (newlines too) become one space.

    Raises ValueError when nothing is left or it is longer than MAX_TITLE_LENGTH.
    """
    cleaned = " ".join(title.split())
    if not cleaned:
        raise ValueError("a title cannot be empty")
    if len(cleaned) > MAX_TITLE_LENGTH:
        raise ValueError(f"a title can have at most {MAX_TITLE_LENGTH} characters")
    return cleaned


def _source_from_row(row: sqlite3.Row) -> Source:
    return Source(
        id=row["id"],
        title=row["title"],
        origin=row["origin"],
        kind=row["kind"],
        video_id=row["video_id"],
        language=row["language"],
        is_generated=bool(row["is_generated"]),
        format=row["format"],
        imported_at=datetime.fromisoformat(row["imported_at"]),
        segment_count=row["segment_count"],
        duration_s=row["duration_s"],
        media_path=row["media_path"],
    )


def _highlight_from_row(row: sqlite3.Row) -> Highlight:
    return Highlight(
        id=row["id"],
        source_id=row["source_id"],
        first_segment=row["first_segment"],
        last_segment=row["last_segment"],
        start_char=row["start_char"],
        end_char=row["end_char"],
        note=row["note"],
        created_at=datetime.fromisoformat(row["created_at"]),
    )


class Library:
    """Sources and what belongs to them, in one SQLite database."""

    def __init__(self, conn: sqlite3.Connection | None = None) -> None:
        self.conn = conn if conn is not None else connect()

    def data_version(self) -> int:
        """Changes whenever another connection (another `ponder`) commits to the database:
        a cheap way for a screen to notice transcripts added elsewhere."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        self.conn.close()

    # -- sources ---------------------------------------------------------------

    def find_existing(self, transcript: Transcript, digest: str | None = None) -> int | None:
        """The id of a source with the same video or the same content, if stored
        (`digest`: its content_hash when the caller has it already)."""
        source = transcript.source
        if source.video_id:
            row = self.conn.execute(
                "SELECT id FROM sources WHERE video_id = ?", (source.video_id,)
            ).fetchone()
            if row:
                return row["id"]
        row = self.conn.execute(
            "SELECT id FROM sources WHERE content_hash = ?",
            (digest or content_hash(transcript.segments),),
        ).fetchone()
        return row["id"] if row else None

    def add(self, transcript: Transcript) -> AddResult:
        """Store a transcript in one transaction, or return the copy already stored."""
        transcript = transcript.with_counts()
        # A title or origin taken from a non-UTF-8 file name holds lone surrogates, which
        # SQLite refuses: store the characters they stand for.
        source = replace(
            transcript.source,
            title=from_os(transcript.source.title),
            origin=from_os(transcript.source.origin),
            media_path=from_os(transcript.source.media_path)
            if transcript.source.media_path
            else None,
        )
        digest = content_hash(transcript.segments)
        with transaction(self.conn):
            existing = self.find_existing(transcript, digest)
            if existing is not None:
                return AddResult(existing, True)
            cursor = self.conn.execute(
                "INSERT INTO sources (title, origin, kind, video_id, language, is_generated,"
                " format, content_hash, imported_at, segment_count, duration_s, media_path)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    source.title,
                    source.origin,
                    source.kind,
                    source.video_id,
                    source.language,
                    int(source.is_generated),
                    source.format,
                    digest,
                    source.imported_at.isoformat(),
                    source.segment_count,
                    source.duration_s,
                    source.media_path,
                ),
            )
            source_id = int(cursor.lastrowid or 0)
            self.conn.executemany(
                'INSERT INTO segments (source_id, idx, start, "end", speaker, text)'
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    (source_id, i, s.start, s.end, s.speaker, s.text)
                    for i, s in enumerate(transcript.segments)
                ),
            )
            index_source(self.conn, source_id)
        return AddResult(source_id, False)

    def sources(self) -> list[Source]:
        rows = self.conn.execute("SELECT * FROM sources ORDER BY imported_at DESC, id DESC")
        return [_source_from_row(row) for row in rows]

    def source(self, source_id: int) -> Source | None:
        row = self.conn.execute("SELECT * FROM sources WHERE id = ?", (source_id,)).fetchone()
        return _source_from_row(row) if row else None

    def find_by_video_id(self, video_id: str) -> int | None:
        row = self.conn.execute("SELECT id FROM sources WHERE video_id = ?", (video_id,)).fetchone()
        return row["id"] if row else None

    def segments(self, source_id: int) -> list[Segment]:
        rows = self.conn.execute(
            'SELECT start, "end", speaker, text FROM segments WHERE source_id = ? ORDER BY idx',
            (source_id,),
        )
        return [Segment(text, start, end, speaker) for start, end, speaker, text in rows]

    def transcript(self, source_id: int) -> Transcript | None:
        source = self.source(source_id)
        if source is None:
            return None
        return Transcript(source, self.segments(source_id))

    def rename(self, source_id: int, title: str) -> bool:
        """Give a source a new title (see `clean_title`); False if it was not there.

        The title is stored as plain text, verbatim but for whitespace: it is never
        parsed as markup, and shown through `inert_line` like every other title.
        """
        with transaction(self.conn):
            cursor = self.conn.execute(
                "UPDATE sources SET title = ? WHERE id = ?", (clean_title(title), source_id)
            )
        return cursor.rowcount > 0

    def remove(self, source_id: int) -> bool:
        """Delete a source and everything that belongs to it; False if it was not there."""
        with transaction(self.conn):
            cursor = self.conn.execute("DELETE FROM sources WHERE id = ?", (source_id,))
        return cursor.rowcount > 0

    # -- highlights ------------------------------------------------------------

    def add_highlight(self, highlight: Highlight) -> Highlight:
        with transaction(self.conn):
            cursor = self.conn.execute(
                "INSERT INTO highlights (source_id, first_segment, last_segment, start_char,"
                " end_char, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    highlight.source_id,
                    highlight.first_segment,
                    highlight.last_segment,
                    highlight.start_char,
                    highlight.end_char,
                    highlight.note,
                    highlight.created_at.isoformat(),
                ),
            )
        return replace(highlight, id=int(cursor.lastrowid or 0))

    def highlights(self, source_id: int) -> list[Highlight]:
        rows = self.conn.execute(
            "SELECT * FROM highlights WHERE source_id = ? ORDER BY first_segment, id",
            (source_id,),
        )
        return [_highlight_from_row(row) for row in rows]

    def highlight(self, highlight_id: int) -> Highlight | None:
        row = self.conn.execute("SELECT * FROM highlights WHERE id = ?", (highlight_id,)).fetchone()
        return _highlight_from_row(row) if row else None

    def set_highlight_note(self, highlight_id: int, note: str) -> None:
        with transaction(self.conn):
            self.conn.execute("UPDATE highlights SET note = ? WHERE id = ?", (note, highlight_id))

    def remove_highlight(self, highlight_id: int) -> None:
        with transaction(self.conn):
            self.conn.execute("DELETE FROM highlights WHERE id = ?", (highlight_id,))

    def highlight_counts(self) -> dict[int, int]:
        rows = self.conn.execute("SELECT source_id, COUNT(*) FROM highlights GROUP BY source_id")
        return {source_id: count for source_id, count in rows}

    # -- reading position and small app state ------------------------------------

    def cursor(self, source_id: int) -> int:
        row = self.conn.execute(
            "SELECT cursor FROM reading_state WHERE source_id = ?", (source_id,)
        ).fetchone()
        return int(row["cursor"]) if row else 0

    def set_cursor(self, source_id: int, cursor: int) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "INSERT INTO reading_state (source_id, cursor, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT(source_id) DO UPDATE SET cursor = excluded.cursor,"
                " updated_at = excluded.updated_at",
                (source_id, cursor, utc_now().isoformat()),
            )

    def get_state(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM app_state WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else default

    def set_state(self, key: str, value: str) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "INSERT INTO app_state (key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
