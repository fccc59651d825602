"""The .apkg package, written with Anki's own library (`anki`) in a throwaway collection.

Unlike genanki, Anki's exporter carries scheduling and review history: each card gets
Ponder's schedule (decks.anki_sync.bridge.apply_schedule, as the sync does) and one revlog
row per review. Note types are the sync's (Ponder Basic, ... with a Source field) with
hard-coded ids, and deck ids derive from deck names, so a re-import updates notes (same
GUIDs, same note types) instead of duplicating them.

Anki refuses to add a note type or deck under a chosen id, so the collection gets them
first, is closed, has the ids rewritten in SQLite, and is opened again before any note.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from decks.anki_model import (
    MODEL_IDS,
    NOTE_TYPES,
    ExportNote,
    add_note_type,
    deck_id_for,
    note_fields,
)
from decks.anki_sync.bridge import AnkiDay, apply_schedule
from decks.anki_sync.rows import INTO_REVLOG, UPDATE_CARD, card_rows, revlog_ivl, revlog_row

if TYPE_CHECKING:
    from anki.collection import Collection

ProgressFn = Callable[[str, int, int], None]
CHUNK = 500


def _unicase(left: str, right: str) -> int:
    a, b = left.casefold(), right.casefold()
    return (a > b) - (a < b)


def _fix_ids(path: Path, model_ids: dict[int, int], deck_ids: dict[int, int]) -> None:
    """Give note types and decks their stable ids (the collection is closed)."""
    conn = sqlite3.connect(path)
    # Anki's name indexes use its `unicase` collation (Unicode case folding).
    conn.create_collation("unicase", _unicase)
    try:
        with conn:
            for old, new in model_ids.items():
                conn.execute("UPDATE notetypes SET id = ? WHERE id = ?", (new, old))
                conn.execute("UPDATE fields SET ntid = ? WHERE ntid = ?", (new, old))
                conn.execute("UPDATE templates SET ntid = ? WHERE ntid = ?", (new, old))
            for old, new in deck_ids.items():
                conn.execute("UPDATE decks SET id = ? WHERE id = ?", (new, old))
    finally:
        conn.close()


def _prepare(folder: Path, notes: Sequence[ExportNote], rollover_hour: int) -> Collection:
    """A fresh collection holding Ponder's note types and the decks, under stable ids."""
    from anki.collection import Collection

    path = folder / "export.anki2"
    col = Collection(str(path))
    try:
        col.set_config("rollover", rollover_hour)
        mids = {
            kind: add_note_type(col, spec, stable_ids=True) for kind, spec in NOTE_TYPES.items()
        }
        for name in sorted({note.deck for note in notes}, key=str.lower):
            col.decks.id(name)  # parents (A for A::B) are made too
        decks = {
            int(entry.id): entry.name for entry in col.decks.all_names_and_ids() if entry.id != 1
        }
    finally:
        col.close()
    _fix_ids(
        path,
        {mids[kind]: MODEL_IDS[kind] for kind in mids},
        {old: deck_id_for(name) for old, name in decks.items()},
    )
    return Collection(str(path))


def build_collection(
    folder: Path,
    conn: sqlite3.Connection,
    notes: Sequence[ExportNote],
    *,
    history: bool,
    now: datetime,
    rollover_hour: int,
    progress: ProgressFn,
) -> tuple[Collection, int, int]:
    """The collection to export (open) with its note and card counts."""
    from anki.collection import AddNoteRequest

    col = _prepare(folder, notes, rollover_hour)
    blank = _blank_notes(col, MODEL_IDS)
    anki_note_ids: dict[int, int] = {}  # Ponder note id -> Anki note id
    total = len(notes)
    progress("Building notes", 0, total)
    for start in range(0, total, CHUNK):
        chunk = notes[start : start + CHUNK]
        requests = []
        for note in chunk:
            anki_note = blank(note.kind)
            fields = note_fields(note.front, note.back, note.source_html())
            for index, value in enumerate(fields):
                anki_note.fields[index] = value
            anki_note.tags = [tag.replace(" ", "_") for tag in note.tags]
            anki_note.guid = note.guid
            requests.append(AddNoteRequest(note=anki_note, deck_id=deck_id_for(note.deck)))
        col.add_notes(requests)
        for note, request in zip(chunk, requests, strict=True):
            anki_note_ids[note.id] = int(request.note.id)
        progress("Building notes", min(total, start + CHUNK), total)
    _stamp_notes(col, conn, anki_note_ids)
    cards = int(col.db.scalar("select count() from cards") or 0)
    if history:
        from anki.collection import Collection

        progress("Adding review history", 0, 1)
        updates, revlog = _history_rows(col, conn, anki_note_ids, now, rollover_hour, progress)
        path = Path(col.path)
        col.close()
        _write_history(path, updates, revlog)
        col = Collection(str(path))
        progress("Adding review history", 1, 1)
    return col, len(anki_note_ids), cards


def _write_history(
    path: Path, updates: list[tuple[int, ...]], revlog: list[tuple[int, ...]]
) -> None:
    """Schedules and revlog rows written with Python's sqlite3 while the collection is
    closed: a million rows through Anki's DB proxy took ~20 s, this takes a few.

    The revlog's indexes (by card, by usn) are dropped for the insert and made again from
    their own SQL in the same transaction, so the schema Anki reads is unchanged: a sorted
    build of each index costs ~1 s for a million rows, a million scattered index inserts
    ~4 s more."""
    conn = sqlite3.connect(path)
    conn.create_collation("unicase", _unicase)
    conn.execute("PRAGMA synchronous = OFF")  # a throwaway file: a crash just fails the export
    # In id order: appended to the table's B-tree, not scattered through it. Sorting on the
    # id alone (unique) takes half the time of comparing whole tuples.
    revlog.sort(key=itemgetter(0))
    updates.sort(key=itemgetter(-1))
    try:
        with conn:
            conn.executemany(UPDATE_CARD, updates)
            indexes = conn.execute(
                "select name, sql from sqlite_master"
                " where type = 'index' and tbl_name = 'revlog' and sql is not null"
            ).fetchall()
            for name, _sql in indexes:
                conn.execute(f'drop index "{name}"')
            conn.executemany("insert " + INTO_REVLOG, revlog)
            for _name, sql in indexes:
                conn.execute(sql)
    finally:
        conn.close()


def _blank_notes(col: Collection, model_ids: dict[str, int]) -> Callable[[str], Any]:
    """New notes of each type without a backend call apiece: `col.new_note` asks Anki's
    backend every time (~0.2 ms, 20 s for 100,000 notes) for the same empty note, so ask
    once per type and build the rest from that answer (what `Note.__init__` does with it)."""
    from anki.notes import Note

    answers = {kind: col._backend.new_note(mid) for kind, mid in model_ids.items()}

    def blank(kind: str) -> Any:
        note = Note.__new__(Note)
        note.col = col.weakref()
        note._load_from_backend_note(answers[kind])
        return note

    return blank


def _stamp_notes(col: Collection, conn: sqlite3.Connection, anki_note_ids: dict[int, int]) -> None:
    """Each Anki note's modification time is the Ponder note's, so importing a newer export
    updates exactly the notes edited since (Anki updates a note when the incoming is newer)."""
    from decks.models import from_db_time

    rows = []
    for note_id, modified in conn.execute("SELECT id, modified_at FROM notes"):
        anki_id = anki_note_ids.get(note_id)
        moment = from_db_time(modified) if modified else None
        if anki_id is not None and moment is not None:
            rows.append((int(moment.timestamp()), anki_id))
    db = col.db
    db.transact(lambda: db.executemany("update notes set mod = ? where id = ?", rows))


def _card_pairs(
    col: Collection, conn: sqlite3.Connection, anki_note_ids: dict[int, int]
) -> dict[int, int]:
    """Ponder card id -> Anki card id (same note, same ord)."""
    by_key = {
        (int(nid), int(ord_)): int(cid)
        for cid, nid, ord_ in col.db.all("select id, nid, ord from cards")
    }
    pairs: dict[int, int] = {}
    ponder_ids = list(anki_note_ids)
    for start in range(0, len(ponder_ids), 900):
        chunk = ponder_ids[start : start + 900]
        marks = ", ".join("?" for _ in chunk)
        for card_id, note_id, ord_ in conn.execute(
            f"SELECT id, note_id, ord FROM cards WHERE note_id IN ({marks})", chunk
        ):
            found = by_key.get((anki_note_ids[note_id], int(ord_)))
            if found is not None:
                pairs[int(card_id)] = found
    return pairs


def _history_rows(
    col: Collection,
    conn: sqlite3.Connection,
    anki_note_ids: dict[int, int],
    now: datetime,
    rollover_hour: int,
    progress: ProgressFn,
) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    """Each reviewed card's schedule (card updates) and its revlog rows, as the sync
    pushes them; written by `_write_history` with the collection closed."""
    from decks.repository import CardStore

    store = CardStore(conn)
    pairs = _card_pairs(col, conn, anki_note_ids)
    ponder_ids = sorted(pairs)
    day = AnkiDay.of(col)
    views = store.cards(ponder_ids)
    # The export's collection has FSRS off: the plain columns, read and written in bulk
    # (as the sync does; Anki's Card objects one by one cost ~0.5 ms each).
    rows = card_rows(col)
    stamp = int(now.timestamp())
    updates = []
    for card_id in ponder_ids:
        card, row = views.get(card_id), rows.get(pairs[card_id])
        if (
            card is not None
            and row is not None
            and apply_schedule(row, card, day, now, rollover_hour)
        ):
            updates.append(row.values(stamp))
    revlog = _revlog_rows(conn, pairs, {cid: c.due for cid, c in views.items()})
    return updates, revlog


def _revlog_rows(
    conn: sqlite3.Connection, pairs: dict[int, int], dues: dict[int, datetime]
) -> list[tuple[int, ...]]:
    """One revlog row per Ponder review of these cards, read straight from the compact
    columns (a million reviews decoded as ReviewLog objects cost ~30 s). A review's
    interval is the due it set: the next review's prior due, or the card's due now."""
    rows: list[tuple[int, ...]] = []
    append = rows.append
    taken: set[int] = set()

    def card_due(card_id: int) -> int | None:
        due = dues.get(card_id)
        return None if due is None else round(due.timestamp() * 1_000_000)

    # NOT INDEXED: every row is read, so one sorted scan beats a million lookups through
    # the card index (1.5 s against 3 s for a million reviews).
    cursor = conn.execute(
        "SELECT card_id, reviewed_us, rating, duration_ms, prior_state, prior_due_delta"
        " FROM review_log NOT INDEXED ORDER BY card_id, reviewed_us, id"
    )
    for card_id, group in groupby(cursor, key=itemgetter(0)):
        anki_id = pairs.get(card_id)
        if anki_id is None:
            continue
        reviews = list(group)
        last_ivl = 0
        for index, (_card, at_us, rating, duration, prior, _delta) in enumerate(reviews, 1):
            if index < len(reviews):  # the next review's prior due is the due this one set
                following = reviews[index]
                due_us: int | None = following[1] + int(following[5] or 0)
            else:
                due_us = card_due(card_id)
            ivl = revlog_ivl(None if due_us is None else (due_us - at_us) / 1e6)
            rid = round(at_us / 1000)
            while rid in taken:  # revlog ids are unique (ms): two reviews in one ms
                rid += 1
            taken.add(rid)
            append(revlog_row(rid, anki_id, rating, ivl, last_ivl, prior or 0, duration or 0))
            last_ivl = ivl
    return rows


def write_package(col: Collection, out: str | os.PathLike[str], *, history: bool) -> None:
    """Anki's own .apkg writer; without history the cards arrive new."""
    from anki.collection import ExportAnkiPackageOptions

    options = ExportAnkiPackageOptions(
        with_scheduling=history, with_deck_configs=history, with_media=False, legacy=True
    )
    try:
        col.export_anki_package(out_path=str(out), options=options, limit=None)
    except Exception as error:  # Anki's backend errors carry the OS reason as text
        raise as_os_error(error) from None


def as_os_error(error: Exception) -> OSError:
    """An OSError (with the errno a learner's message needs) for an error of Anki's writer."""
    import errno

    if isinstance(error, OSError):
        return error
    text = " ".join(str(error).split())
    lowered = text.lower()
    for needle, code in (
        ("no space left", errno.ENOSPC),
        ("storagefull", errno.ENOSPC),
        ("read-only", errno.EROFS),
        ("permission denied", errno.EACCES),
    ):
        if needle in lowered:
            return OSError(code, os.strerror(code))
    return OSError(errno.EIO, text or type(error).__name__)


def export_folder() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="ponder-apkg-")
