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
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from decks.anki_sync.bridge import (
    CSS,
    NOTE_TYPES,
    AnkiDay,
    NoteTypeSpec,
    apply_schedule,
    revlog_interval,
    revlog_type,
)
from decks.anki_text import text_to_html

if TYPE_CHECKING:
    from anki.collection import Collection

    from decks.anki import ExportNote

ProgressFn = Callable[[str, int, int], None]
CHUNK = 500


def _stable_id(text: str) -> int:
    """A fixed 63-bit id for a field or template (Anki draws them at random; a random one
    makes every export's note type a different schema, and re-imports then conflict)."""
    import hashlib

    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") >> 1


def _add_note_type(col: Collection, spec: NoteTypeSpec) -> int:
    """One of the sync's note types (same names, fields, templates), with fixed inner ids."""
    models = col.models
    model = models.new(spec.name)
    if spec.cloze:
        model["type"] = 1
    for field_name in spec.fields:
        field = models.new_field(field_name)
        field["id"] = _stable_id(f"{spec.kind}:field:{field_name}")
        models.add_field(model, field)
    for template_name, question, answer in spec.templates:
        template = models.new_template(template_name)
        template["qfmt"], template["afmt"] = question, answer
        template["id"] = _stable_id(f"{spec.kind}:template:{template_name}")
        models.add_template(model, template)
    model["css"] = CSS
    return int(models.add_dict(model).id)


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

    from decks.anki import MODEL_IDS, deck_id_for

    path = folder / "export.anki2"
    col = Collection(str(path))
    try:
        col.set_config("rollover", rollover_hour)
        mids = {kind: _add_note_type(col, spec) for kind, spec in NOTE_TYPES.items()}
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

    from decks.anki import MODEL_IDS, deck_id_for

    col = _prepare(folder, notes, rollover_hour)
    models = {kind: col.models.get(mid) for kind, mid in MODEL_IDS.items()}
    anki_note_ids: dict[int, int] = {}  # Ponder note id -> Anki note id
    total = len(notes)
    progress("Building notes", 0, total)
    for start in range(0, total, CHUNK):
        chunk = notes[start : start + CHUNK]
        requests = []
        for note in chunk:
            anki_note = col.new_note(models[note.kind])
            fields = [text_to_html(note.front), text_to_html(note.back), note.source_html()]
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
        _add_history(col, conn, anki_note_ids, now, rollover_hour, progress)
    return col, len(anki_note_ids), cards


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


def _add_history(
    col: Collection,
    conn: sqlite3.Connection,
    anki_note_ids: dict[int, int],
    now: datetime,
    rollover_hour: int,
    progress: ProgressFn,
) -> None:
    """Each reviewed card's schedule and its revlog rows, as the sync pushes them."""
    from decks.anki_sync.merge import parse_time
    from decks.repository import CardStore

    store = CardStore(conn)
    pairs = _card_pairs(col, conn, anki_note_ids)
    ponder_ids = sorted(pairs)
    progress("Adding review history", 0, len(ponder_ids))
    day = AnkiDay.of(col)
    views = {view.card.id: view.card for view in store.card_views(ponder_ids)}
    changed: list[Any] = []
    for card_id in ponder_ids:
        card = views.get(card_id)
        if card is None:
            continue
        anki_card = col.get_card(pairs[card_id])
        if apply_schedule(anki_card, card, day, now, rollover_hour):
            changed.append(anki_card)
    for start in range(0, len(changed), CHUNK):
        col.update_cards(changed[start : start + CHUNK], skip_undo_entry=True)
    logs: dict[int, list[Any]] = defaultdict(list)
    for log in store.iter_review_logs():
        if log.card_id in pairs:
            logs[log.card_id].append(log)
    rows: list[tuple[Any, ...]] = []
    taken: set[int] = set()
    for card_id, card_logs in logs.items():
        card_logs.sort(key=lambda log: (log.reviewed_at, log.id))
        last_ivl = 0
        for index, log in enumerate(card_logs):
            following = card_logs[index + 1] if index + 1 < len(card_logs) else None
            if following is not None:
                due = parse_time(following.state_before.get("due"))
            else:
                card = views.get(card_id)
                due = card.due if card is not None else None
            ivl = revlog_interval(log.reviewed_at, due)
            prior = int(log.state_before.get("state", 0))
            rid = round(log.reviewed_at.timestamp() * 1000)
            while rid in taken:  # revlog ids are unique (ms): two reviews in one ms
                rid += 1
            taken.add(rid)
            rows.append(
                (
                    rid,
                    pairs[card_id],
                    int(log.rating),
                    ivl,
                    last_ivl,
                    2500 if prior == 2 else 0,
                    min(60000, max(0, int(log.duration_ms or 0))),
                    revlog_type(prior),
                )
            )
            last_ivl = ivl
    db = col.db
    db.transact(
        lambda: db.executemany(
            "insert into revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type)"
            " values (?, ?, -1, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    )
    progress("Adding review history", len(ponder_ids), len(ponder_ids))


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
