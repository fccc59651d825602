"""Export to Anki: an .apkg package written with Anki's own library (decks.anki_package).

Notes keep their identity across exports: each note's Anki GUID is Ponder's own note guid,
so importing a re-export into Anki updates the notes instead of duplicating them. Model ids
are hard-coded and deck ids derive from the deck's name, so they are stable too. Nested
decks keep Anki's `A::B` names.

Each note carries a Source field: the transcript's title and the moment the note came
from, linked to the video at that second (`https://youtu.be/ID?t=N`) for YouTube sources,
and the passage itself.

Each card keeps its schedule and review history (`history=False`: fresh, new cards).
"""

from __future__ import annotations

import hashlib
import html
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from core.backup import BackupError, atomic_output, check_output_path
from core.youtube import watch_url

# Hard-coded so Anki recognises the note types on every import (never change them).
BASIC_MODEL_ID = 1_707_400_001
REVERSED_MODEL_ID = 1_707_400_002
CLOZE_MODEL_ID = 1_707_400_003
MODEL_IDS = {"basic": BASIC_MODEL_ID, "reversed": REVERSED_MODEL_ID, "cloze": CLOZE_MODEL_ID}
EXPORT_CHUNK = 2000
MAX_PASSAGE_CHARS = 600


class ExportError(RuntimeError):
    """The export cannot be written; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class ExportNote:
    """A note as exports need it: plain-text fields, deck path, tags and where it came from."""

    id: int
    guid: str
    kind: str  # basic | reversed | cloze
    front: str
    back: str
    deck: str
    tags: tuple[str, ...]
    source_title: str | None = None
    start_s: float | None = None
    video_id: str | None = None
    passage: str | None = None  # the transcript text the note came from

    def source_link(self) -> str | None:
        """The video at the note's moment, when the source is a YouTube video."""
        if not self.video_id:
            return None
        return watch_url(self.video_id, self.start_s)

    def source_html(self) -> str:
        """The Source field: title and timestamp, linked to the video when there is one."""
        if not self.source_title and not self.video_id:
            return ""
        from core.models import format_timestamp

        label = html.escape(self.source_title or "Source", quote=False)
        if self.start_s is not None:
            label += " @ " + format_timestamp(self.start_s, always_hours=False)
        link = self.source_link()
        if link:
            label = f'<a href="{html.escape(link, quote=True)}">{label}</a>'
        if self.passage:
            passage = " ".join(self.passage.split())
            if len(passage) > MAX_PASSAGE_CHARS:
                passage = passage[: MAX_PASSAGE_CHARS - 1].rstrip() + "…"
            label += f'<div class="passage">{html.escape(passage, quote=False)}</div>'
        return label

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tags"] = list(self.tags)
        data["source_link"] = self.source_link()
        return data


@dataclass(frozen=True, slots=True)
class ExportReport:
    path: str
    notes: int
    cards: int
    decks: list[str]
    elapsed_s: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- reading notes ----------------------------------------------------------------------------


def resolve_deck_ids(conn: sqlite3.Connection, deck: str | None) -> list[int] | None:
    """The deck's id and its subdecks' (None = every deck); ExportError if unknown."""
    if deck is None:
        return None
    from decks.repository import CardStore

    store = CardStore(conn)
    found = store.deck_by_name(deck)
    if found is None:
        raise ExportError(f"No deck named {deck!r}.")
    return store.subdeck_ids(found.id)


def iter_export_notes(
    conn: sqlite3.Connection, deck_ids: Sequence[int] | None = None
) -> Iterator[ExportNote]:
    """Every note (with a card in these decks), oldest first, in one read transaction.

    A note's deck is the deck of its first card: in a package a note's cards share a deck.
    """
    where, params = "", []
    if deck_ids is not None:
        marks = ", ".join("?" for _ in deck_ids)
        where = f" WHERE n.id IN (SELECT note_id FROM cards WHERE deck_id IN ({marks}))"
        params = list(deck_ids)
    sql = (
        "SELECT n.id, n.guid, n.kind, n.front, n.back, n.source_title, n.start_s,"
        " s.video_id, s.title AS live_title,"
        " (SELECT d.name FROM cards c JOIN decks d ON d.id = c.deck_id"
        "   WHERE c.note_id = n.id ORDER BY c.ord LIMIT 1) AS deck,"
        " (SELECT group_concat(t.tag, ' ') FROM note_tags t WHERE t.note_id = n.id) AS tags,"
        " (SELECT group_concat(text, ' ') FROM (SELECT g.text FROM segments g"
        "   WHERE g.source_id = n.source_id AND g.idx BETWEEN n.first_segment"
        "   AND coalesce(n.last_segment, n.first_segment) ORDER BY g.idx)) AS passage"
        f" FROM notes n LEFT JOIN sources s ON s.id = n.source_id{where} ORDER BY n.id"
    )
    cursor = conn.execute(sql, params)
    while True:
        rows = cursor.fetchmany(EXPORT_CHUNK)
        if not rows:
            return
        for row in rows:
            if row[9] is None:  # a note without cards (should not happen): nothing to study
                continue
            yield ExportNote(
                id=int(row[0]),
                guid=str(row[1]),
                kind=str(row[2]),
                front=str(row[3]),
                back=str(row[4] or ""),
                deck=str(row[9]),
                tags=tuple(sorted((row[10] or "").split(), key=str.lower)),
                source_title=row[5] or row[8],
                start_s=row[6],
                video_id=row[7],
                passage=row[11],
            )


# -- ids ------------------------------------------------------------------------------------


def deck_id_for(name: str) -> int:
    """A stable Anki deck id from the deck's full name (case-insensitive, as Anki's names)."""
    digest = hashlib.sha256(name.lower().encode("utf-8")).digest()
    return (1 << 30) + int.from_bytes(digest[:8], "big") % (1 << 30)


def export_apkg(
    conn: sqlite3.Connection,
    out: str | os.PathLike[str],
    *,
    deck: str | None = None,
    force: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    timestamp: float | None = None,
    history: bool = True,
    rollover_hour: int = 4,
) -> ExportReport:
    """Write every note (or one deck with its subdecks) to an .apkg file.

    With `history` (the default) each card keeps its schedule and review history; without
    it the cards arrive new. Refuses to overwrite an existing file unless `force`; the file
    appears only when complete. ExportError when there is nothing to export or the deck
    is unknown. `timestamp` is the moment the schedule is computed from (default: now).
    """
    from datetime import UTC, datetime

    from decks.anki_package import build_collection, export_folder, write_package

    started = time.perf_counter()
    try:
        target = check_output_path(out, force=force)
    except BackupError as error:
        raise ExportError(str(error)) from None
    ids = resolve_deck_ids(conn, deck)
    notes = list(iter_export_notes(conn, ids))
    if not notes:
        where = f"deck {deck!r}" if deck else "the collection"
        raise ExportError(f"There are no cards to export in {where}.")
    report: Callable[[str, int, int], None] = progress or (lambda _s, _d, _t: None)
    if timestamp is None:
        from core import clock

        timestamp = clock.now().timestamp()
    now = datetime.fromtimestamp(timestamp, UTC)
    with export_folder() as folder:
        try:
            col, note_count, card_count = build_collection(
                Path(folder),
                conn,
                notes,
                history=history,
                now=now,
                rollover_hour=rollover_hour,
                progress=report,
            )
        except Exception as error:  # the temporary folder full, an error of Anki's
            from core.paths import os_error_reason
            from decks.anki_package import as_os_error

            reason = os_error_reason(as_os_error(error))
            raise ExportError(f"Cannot build the package: {reason}.") from None
        report("Writing the package", 0, 1)
        # Anki writes the package beside its collection; Python copies it into place, so a
        # full or read-only destination is reported with the OS's reason.
        package = Path(folder) / "export.apkg"
        try:
            write_package(col, package, history=history)
        except OSError as error:
            from core.paths import os_error_reason

            raise ExportError(f"Cannot build the package: {os_error_reason(error)}.") from None
        finally:
            col.close()
        try:
            with atomic_output(target) as temporary:
                shutil.copyfile(package, temporary)
        except BackupError as error:  # the disk full, the folder read-only...
            raise ExportError(str(error)) from None
        except OSError as error:
            raise ExportError(f"Cannot write {target}: {error.strerror or error}.") from None
    report("Writing the package", 1, 1)
    return ExportReport(
        path=str(target),
        notes=note_count,
        cards=card_count,
        decks=sorted({note.deck for note in notes}, key=str.lower),
        elapsed_s=time.perf_counter() - started,
    )


def export_anki_text(
    conn: sqlite3.Connection,
    out: str | os.PathLike[str],
    *,
    deck: str | None = None,
    force: bool = False,
) -> ExportReport:
    """Write notes in Anki's plain-text format (see decks.anki_text)."""
    from core.backup import write_text_file
    from decks.anki_text import TextNote, format_anki_text

    started = time.perf_counter()
    try:
        check_output_path(out, force=force)
    except BackupError as error:
        raise ExportError(str(error)) from None
    ids = resolve_deck_ids(conn, deck)
    notes = [
        TextNote(
            kind=note.kind,
            front=note.front,
            back=note.back,
            tags=list(note.tags),
            deck=note.deck,
            guid=note.guid,
            source_html=note.source_html(),
        )
        for note in iter_export_notes(conn, ids)
    ]
    if not notes:
        where = f"deck {deck!r}" if deck else "the collection"
        raise ExportError(f"There are no cards to export in {where}.")
    try:
        target = write_text_file(out, format_anki_text(notes), force=force, newline="\n")
    except BackupError as error:
        raise ExportError(str(error)) from None
    except OSError as error:
        raise ExportError(f"Cannot write {out}: {error.strerror or error}.") from None
    cards = sum(
        2 if note.kind == "reversed" else 1 if note.kind == "basic" else _cloze_count(note.front)
        for note in notes
    )
    return ExportReport(
        path=str(target),
        notes=len(notes),
        cards=cards,
        decks=sorted({note.deck or "" for note in notes}, key=str.lower),
        elapsed_s=time.perf_counter() - started,
    )


def _cloze_count(text: str) -> int:
    from decks import cloze

    return max(1, len(cloze.numbers(text)))


__all__ = [
    "BASIC_MODEL_ID",
    "CLOZE_MODEL_ID",
    "MODEL_IDS",
    "REVERSED_MODEL_ID",
    "ExportError",
    "ExportNote",
    "ExportReport",
    "deck_id_for",
    "export_anki_text",
    "export_apkg",
    "iter_export_notes",
]
