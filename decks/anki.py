"""Export to Anki: an .apkg package written with Anki's own library (decks.anki_package).

Notes keep their identity across exports: each note's Anki GUID is Ponder's own note guid,
so importing a re-export into Anki updates the notes instead of duplicating them. Model ids
are hard-coded and deck ids derive from the deck's name, so they are stable too (both in
decks.anki_model, with the note types the sync shares). Nested decks keep Anki's `A::B`
names.

Each note carries a Source field: the transcript's title and the moment the note came
from, linked to the video at that second (`https://youtu.be/ID?t=N`) for YouTube sources,
and the passage itself.

Each card keeps its schedule and review history (`history=False`: fresh, new cards).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from core.backup import BackupError, atomic_output, check_output_path
from decks.anki_model import ExportNote, iter_export_notes


class ExportError(RuntimeError):
    """The export cannot be written; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class ExportReport:
    path: str
    notes: int
    cards: int
    decks: list[str]
    elapsed_s: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


def _notes_to_export(
    conn: sqlite3.Connection, out: str | os.PathLike[str], *, deck: str | None, force: bool
) -> tuple[Path, list[ExportNote]]:
    """Where the export goes (checked before any work) and the notes it holds;
    ExportError when the path is refused, the deck unknown or there is nothing to export."""
    try:
        target = check_output_path(out, force=force)
    except BackupError as error:
        raise ExportError(str(error)) from None
    notes = list(iter_export_notes(conn, resolve_deck_ids(conn, deck)))
    if not notes:
        where = f"deck {deck!r}" if deck else "the collection"
        raise ExportError(f"There are no cards to export in {where}.")
    return target, notes


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
    target, notes = _notes_to_export(conn, out, deck=deck, force=force)
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
    _target, exported = _notes_to_export(conn, out, deck=deck, force=force)
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
        for note in exported
    ]
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
    "ExportError",
    "ExportReport",
    "export_anki_text",
    "export_apkg",
    "resolve_deck_ids",
]
