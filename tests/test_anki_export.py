"""The .apkg export, read back from the SQLite collection inside the zip."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.library import Library
from core.models import Segment, Source, Transcript
from decks.anki import ExportError, export_apkg
from decks.anki_model import BASIC_MODEL_ID, CLOZE_MODEL_ID, REVERSED_MODEL_ID
from decks.models import SourceRef
from decks.repository import CardStore

VIDEO = "dQw4w9WgXcQ"


@pytest.fixture
def collection(ponder_home: Path):
    """A YouTube source and three notes (basic, reversed, cloze) in nested decks."""
    library = Library()
    source_id = library.add(
        Transcript(
            Source(
                title="Talk <one>",
                origin=f"https://youtu.be/{VIDEO}",
                kind="youtube",
                video_id=VIDEO,
            ),
            [
                Segment("Hello", 0.0, 61.5),
                Segment("The sun", 61.5, 125.0),
                Segment("End", 125, 130),
            ],
        )
    ).source_id
    store = CardStore(library.conn)
    basic = store.create_note(
        "basic",
        "a < b & c?",
        "yes\nreally",
        deck="Talks::Physics",
        tags=["arith", "tag2"],
        source=SourceRef(source_id, first_segment=1, last_segment=1),
    )
    reverse = store.create_note("reversed", "Hund", "dog", deck="Talks", tags=["lang"])
    cloze = store.create_note(
        "cloze",
        "The {{c1::sun}} is a {{c2::star}}.",
        "extra",
        deck="Astro",
        source=SourceRef(source_id, first_segment=2),
    )
    yield library, store, (basic, reverse, cloze)
    library.close()


def import_into_fresh(path: Path, tmp_path: Path, name: str = "fresh", days_old: int = 0) -> Any:
    """A new Anki collection with the package imported by Anki's own importer (as a learner's
    File > Import does, keeping scheduling). `days_old`: the collection was made that many
    days ago (its day numbers differ from the exporter's)."""
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    folder = tmp_path / f"{name}-{path.stem}"
    folder.mkdir()
    col = Collection(str(folder / "collection.anki2"))
    if days_old:
        col.db.execute("update col set crt = crt - ?", days_old * 86400)
        col.close()
        col = Collection(str(folder / "collection.anki2"))
    col.import_anki_package(
        ImportAnkiPackageRequest(
            package_path=str(path),
            options=ImportAnkiPackageOptions(
                with_scheduling=True, with_deck_configs=True, update_notes=1
            ),
        )
    )
    return col


def _read(path: Path, tmp_path: Path) -> dict:
    col = import_into_fresh(path, tmp_path)
    try:
        notes = {
            row[0]: {
                "mid": row[1],
                "tags": row[2].split(),
                "fields": row[3].split("\x1f"),
                "id": row[4],
            }
            for row in col.db.all("SELECT guid, mid, tags, flds, id FROM notes")
        }
        cards = [tuple(row) for row in col.db.all("SELECT nid, did, ord, type, queue FROM cards")]
        decks = {int(d.id): {"name": d.name} for d in col.decks.all_names_and_ids()}
        models = {int(m.id): m.name for m in col.models.all_names_and_ids()}
    finally:
        col.close()
    return {"notes": notes, "cards": cards, "decks": decks, "models": models}


def test_apkg_holds_notes_cards_decks_tags_and_source_links(collection, tmp_path: Path) -> None:
    library, _store, (basic, reverse, cloze) = collection
    out = tmp_path / "deck.apkg"
    report = export_apkg(library.conn, out)
    assert report.notes == 3 and report.cards == 5 and out.exists()
    data = _read(out, tmp_path)

    notes = data["notes"]
    assert set(notes) == {basic.note.guid, reverse.note.guid, cloze.note.guid}
    first = notes[basic.note.guid]
    assert first["mid"] == BASIC_MODEL_ID
    assert first["fields"][0] == "a &lt; b &amp; c?" and first["fields"][1] == "yes<br>really"
    assert f'href="https://youtu.be/{VIDEO}?t=61"' in first["fields"][2]
    assert "Talk &lt;one&gt; @ 01:01" in first["fields"][2]
    assert '<div class="passage">The sun</div>' in first["fields"][2]  # the passage too
    assert sorted(first["tags"]) == ["arith", "tag2"]
    assert notes[reverse.note.guid]["mid"] == REVERSED_MODEL_ID
    assert notes[reverse.note.guid]["fields"][2] == ""  # typed by hand: no source
    assert notes[cloze.note.guid]["mid"] == CLOZE_MODEL_ID
    assert notes[cloze.note.guid]["fields"][0] == "The {{c1::sun}} is a {{c2::star}}."
    assert "?t=125" in notes[cloze.note.guid]["fields"][2]
    assert '<div class="passage">End</div>' in notes[cloze.note.guid]["fields"][2]

    by_note = {}
    for nid, did, ord_, card_type, queue in data["cards"]:
        by_note.setdefault(nid, []).append((did, ord_))
        assert card_type == 0 and queue == 0  # new cards: no review history
    assert sorted(o for _d, o in by_note[notes[reverse.note.guid]["id"]]) == [0, 1]
    assert sorted(o for _d, o in by_note[notes[cloze.note.guid]["id"]]) == [0, 1]
    # Anki's importer matches decks by name (the ids in the file are its own business).
    names = {deck["name"]: deck_id for deck_id, deck in data["decks"].items()}
    assert {"Talks", "Talks::Physics", "Astro"} <= set(names)
    assert {did for did, _o in by_note[notes[basic.note.guid]["id"]]} == {names["Talks::Physics"]}
    assert {did for did, _o in by_note[notes[cloze.note.guid]["id"]]} == {names["Astro"]}
    model_ids = {int(model_id) for model_id in data["models"]}
    assert {BASIC_MODEL_ID, REVERSED_MODEL_ID, CLOZE_MODEL_ID} <= model_ids


def test_exporting_twice_keeps_guids_and_ids(collection, tmp_path: Path) -> None:
    library, store, _notes = collection
    first = tmp_path / "one.apkg"
    second = tmp_path / "two.apkg"
    export_apkg(library.conn, first, timestamp=1_700_000_000)
    store.create_note("basic", "new one", "added later", deck="Talks")
    export_apkg(library.conn, second, timestamp=1_800_000_000)
    one, two = _read(first, tmp_path), _read(second, tmp_path)
    assert set(one["notes"]) < set(two["notes"])  # same GUIDs, plus the new note
    for guid, note in one["notes"].items():
        assert two["notes"][guid]["fields"] == note["fields"]
        assert two["notes"][guid]["mid"] == note["mid"]
    assert {d["name"] for d in one["decks"].values()} <= {d["name"] for d in two["decks"].values()}


def test_deck_filter_includes_subdecks_only(collection, tmp_path: Path) -> None:
    library, _store, (basic, reverse, _cloze) = collection
    out = tmp_path / "talks.apkg"
    report = export_apkg(library.conn, out, deck="talks")
    assert report.decks == ["Talks", "Talks::Physics"]
    assert set(_read(out, tmp_path)["notes"]) == {basic.note.guid, reverse.note.guid}
    with pytest.raises(ExportError, match="No deck named 'Nope'"):
        export_apkg(library.conn, tmp_path / "x.apkg", deck="Nope")


def test_existing_files_are_not_overwritten_without_force(collection, tmp_path: Path) -> None:
    library, _store, _notes = collection
    out = tmp_path / "deck.apkg"
    out.write_text("precious")
    with pytest.raises(ExportError, match="already exists; use --force"):
        export_apkg(library.conn, out)
    assert out.read_text() == "precious"
    with pytest.raises(ExportError, match="is a folder"):
        export_apkg(library.conn, tmp_path)
    with pytest.raises(ExportError, match="does not exist"):
        export_apkg(library.conn, tmp_path / "missing" / "deck.apkg")
    export_apkg(library.conn, out, force=True)
    assert zipfile.is_zipfile(out)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_empty_collection_is_refused(ponder_home: Path, tmp_path: Path) -> None:
    library = Library()
    try:
        with pytest.raises(ExportError, match="no cards to export"):
            export_apkg(library.conn, tmp_path / "empty.apkg")
    finally:
        library.close()
    assert not (tmp_path / "empty.apkg").exists()


def test_cli_export_anki(collection, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from tui.cli import main

    out = tmp_path / "cli.apkg"
    assert main(["export", "anki", str(out), "--deck", "Astro"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip().splitlines()[-1] == str(out)
    assert "with their schedule and review history" in captured.err
    assert main(["export", "anki", str(out)]) == 1
    assert "already exists; use --force" in capsys.readouterr().err
    assert main(["export", "anki", str(out), "--force"]) == 0
    assert len(_read(out, tmp_path)["notes"]) == 3


def _review_twice(store: CardStore, card_id: int) -> tuple[Any, list[datetime]]:
    """Good, then Easy ten minutes later, two days ago: a review card due in some days."""
    from core.config import Config
    from decks.scheduling import review, settings_for

    card = store.get_card(card_id)
    assert card is not None
    scheduler = settings_for(store.preset_for_deck(card.deck_id), Config()).scheduler()
    first = datetime.now(UTC) - timedelta(days=2)
    second = first + timedelta(minutes=10)
    one = review(scheduler, card, 3, first)
    store.record_review(card, one.after, 3, first, 4200)
    two = review(scheduler, one.after, 4, second)
    store.record_review(one.after, two.after, 4, second, 1800)
    return two.after, [first, second]


def _study_days(start: datetime, end: datetime, rollover: int = 4) -> int:
    """Hand-written oracle: study days (rolling over at 4 am local) from start to end."""
    shift = timedelta(hours=rollover)
    return ((end.astimezone() - shift).date() - (start.astimezone() - shift).date()).days


def test_reviewed_cards_keep_their_revlog_and_due(collection, tmp_path: Path) -> None:
    library, store, (basic, reverse, _cloze) = collection
    card_id = store.cards_of_note(basic.note.id)[0].id
    after, times = _review_twice(store, card_id)
    assert after.state.name == "REVIEW"
    out = tmp_path / "history.apkg"
    export_apkg(library.conn, out)
    # The collection in the package is sound and has Anki's revlog indexes.
    import sqlite3

    inner = tmp_path / "inner.anki21"
    inner.write_bytes(zipfile.ZipFile(out).read("collection.anki21"))
    db = sqlite3.connect(inner)
    try:
        indexes = db.execute(
            "select name from sqlite_master where type = 'index' and tbl_name = 'revlog'"
        ).fetchall()
        assert sorted(name for (name,) in indexes) == ["ix_revlog_cid", "ix_revlog_usn"]
        assert db.execute("pragma integrity_check").fetchone() == ("ok",)
    finally:
        db.close()
    col = import_into_fresh(out, tmp_path, days_old=100)  # a learner's collection in use
    try:
        assert col.sched.today >= 99
        nid = col.db.scalar("select id from notes where guid = ?", basic.note.guid)
        cid = col.db.scalar("select id from cards where nid = ? and ord = 0", nid)
        revlog = col.db.all(
            "select id, ease, time, type, ivl, lastIvl, factor from revlog"
            " where cid = ? order by id",
            cid,
        )
        assert [(row[1], row[2]) for row in revlog] == [(3, 4200), (4, 1800)]
        assert [row[0] for row in revlog] == [round(t.timestamp() * 1000) for t in times]
        # Good on a new card: the 10-minute learning step (-600 s); Easy then: a review card
        # due in whole days. Both were learning reviews (type 0), with no ease factor.
        days = round((after.due - times[1]).total_seconds() / 86400)
        assert days >= 1
        assert [tuple(row[3:]) for row in revlog] == [(0, -600, 0, 0), (0, days, -600, 0)]
        assert col.db.scalar("select count() from revlog") == 2  # nothing else reviewed
        card = col.get_card(cid)
        assert (card.type, card.queue) == (2, 2)  # a review card
        assert card.due - col.sched.today == _study_days(datetime.now(UTC), after.due)
        assert card.reps == 2
        # Unreviewed cards stay new.
        rnid = col.db.scalar("select id from notes where guid = ?", reverse.note.guid)
        assert {
            tuple(r) for r in col.db.all("select type, queue from cards where nid = ?", rnid)
        } == {(0, 0)}
    finally:
        col.close()


def test_history_is_written_under_the_same_schema(tmp_path: Path) -> None:
    """The bulk history write drops the revlog's indexes for speed: they come back as they
    were, and the rows are there."""
    import sqlite3

    from anki.collection import Collection

    from decks.anki_package import _write_history

    path = tmp_path / "c.anki2"
    Collection(str(path)).close()

    def schema() -> list[tuple[str, str]]:
        db = sqlite3.connect(path)
        try:
            return db.execute("select name, sql from sqlite_master order by name").fetchall()
        finally:
            db.close()

    before = schema()
    assert {"ix_revlog_cid", "ix_revlog_usn"} <= {name for name, _sql in before}
    _write_history(path, [], [(2, 7, 3, 1, 0, 0, 900, 0), (1, 7, 1, -60, 0, 0, 500, 0)])
    assert schema() == before
    col = Collection(str(path))
    try:
        assert col.db.all("select id, cid, usn, ease from revlog order by id") == [
            [1, 7, -1, 1],
            [2, 7, -1, 3],
        ]
    finally:
        col.close()


def test_revlog_rows_as_anki_writes_them() -> None:
    """Hand-written expectations for the revlog rows the export and the sync both write."""
    from decks.anki_sync.rows import revlog_interval, revlog_ivl, revlog_row

    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert revlog_interval(at, None) == 0
    assert revlog_interval(at, at + timedelta(minutes=10)) == -600
    assert revlog_interval(at, at + timedelta(seconds=0.4)) == -1  # never 0: "unknown"
    assert revlog_interval(at, at + timedelta(days=3, hours=11)) == 3
    assert revlog_interval(at, at + timedelta(days=3, hours=13)) == 4
    assert revlog_ivl(86400.0) == 1 and revlog_ivl(86399.0) == -86399
    # (id, cid, ease, ivl, lastIvl, factor, time, type): a review card's factor is 2500,
    # the time is capped at a minute, and the type follows the state before the review.
    assert revlog_row(7, 8, 3, 5, 2, prior=2, duration_ms=90_000) == (7, 8, 3, 5, 2, 2500, 60000, 1)
    assert revlog_row(7, 8, 1, -600, 5, prior=3, duration_ms=-5) == (7, 8, 1, -600, 5, 0, 0, 2)
    assert revlog_row(7, 8, 3, -60, 0, prior=0, duration_ms=1200)[-3:] == (0, 1200, 0)


def test_no_history_gives_new_cards(collection, tmp_path: Path, capsys) -> None:
    from tui.cli import main

    _library, store, (basic, _reverse, _cloze) = collection
    _review_twice(store, store.cards_of_note(basic.note.id)[0].id)
    out = tmp_path / "fresh.apkg"
    assert main(["export", "anki", str(out), "--no-history"]) == 0
    assert "as new cards" in capsys.readouterr().err
    col = import_into_fresh(out, tmp_path)
    try:
        assert col.db.scalar("select count() from revlog") == 0
        assert {tuple(r) for r in col.db.all("select type, queue from cards")} == {(0, 0)}
        assert col.db.scalar("select count() from notes") == 3
    finally:
        col.close()


def test_reimporting_a_newer_export_updates_the_notes(collection, tmp_path: Path) -> None:
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    library, store, (basic, _reverse, _cloze) = collection
    first = tmp_path / "one.apkg"
    export_apkg(library.conn, first)
    later = datetime.now(UTC) + timedelta(minutes=5)  # Anki compares whole seconds
    store.update_note(basic.note.id, front="a < b & c, edited?", now=later)
    second = tmp_path / "two.apkg"
    export_apkg(library.conn, second)
    col = import_into_fresh(first, tmp_path)
    try:
        log = col.import_anki_package(
            ImportAnkiPackageRequest(
                package_path=str(second),
                options=ImportAnkiPackageOptions(with_scheduling=True),  # update if newer
            )
        )
        assert len(log.log.updated) == 1 and len(log.log.duplicate) == 2
        assert col.db.scalar("select count() from notes") == 3  # updated, not duplicated
        nid = col.db.scalar("select id from notes where guid = ?", basic.note.guid)
        assert col.get_note(nid).fields[0] == "a &lt; b &amp; c, edited?"
        assert len(col.models.all_names_and_ids()) == len(
            {name.name for name in col.models.all_names_and_ids()}
        )
        assert not [m.name for m in col.models.all_names_and_ids() if m.name.endswith("+")]
    finally:
        col.close()


def test_a_long_passage_is_cut_the_same_way_exported_or_synced() -> None:
    """The .apkg and the sync write one Source field: a note must not look edited in Anki
    only because it went the other way."""
    from decks.anki_model import ExportNote, source_field

    passage = " ".join(f"word{n}" for n in range(400))  # 2,689 characters
    note = ExportNote(1, "g", "basic", "q", "a", "Talks", (), "Talk", 65.0, "dQw4w9WgXcQ", passage)
    exported = note.source_html()
    synced = source_field("Talk", note.timestamp(), note.source_link(), passage)
    assert exported == synced
    kept = passage[:1199].rstrip() + "…"
    assert exported.endswith(f'<div class="passage">{kept}</div>')
