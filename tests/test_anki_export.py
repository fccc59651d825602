"""The .apkg export, read back from the SQLite collection inside the zip."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from core.library import Library
from core.models import Segment, Source, Transcript
from decks.anki import (
    BASIC_MODEL_ID,
    CLOZE_MODEL_ID,
    REVERSED_MODEL_ID,
    ExportError,
    deck_id_for,
    export_apkg,
)
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


def _read(path: Path, tmp_path: Path) -> dict:
    with zipfile.ZipFile(path) as archive:
        assert "collection.anki2" in archive.namelist()
        target = tmp_path / f"{path.stem}-collection.anki2"
        target.write_bytes(archive.read("collection.anki2"))
    conn = sqlite3.connect(target)
    try:
        notes = {
            row[0]: {
                "mid": row[1],
                "tags": row[2].split(),
                "fields": row[3].split("\x1f"),
                "id": row[4],
            }
            for row in conn.execute("SELECT guid, mid, tags, flds, id FROM notes")
        }
        cards = conn.execute("SELECT nid, did, ord, type, queue FROM cards").fetchall()
        decks_json, models_json = conn.execute("SELECT decks, models FROM col").fetchone()
    finally:
        conn.close()
    return {
        "notes": notes,
        "cards": cards,
        "decks": json.loads(decks_json),
        "models": json.loads(models_json),
    }


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
    names = {deck["name"]: int(deck_id) for deck_id, deck in data["decks"].items()}
    assert names["Talks::Physics"] == deck_id_for("Talks::Physics")
    assert names["Astro"] == deck_id_for("Astro") and names["Talks"] == deck_id_for("Talks")
    assert {did for did, _o in by_note[notes[basic.note.guid]["id"]]} == {
        deck_id_for("Talks::Physics")
    }
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
    assert set(one["decks"]) <= set(two["decks"])


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
    assert "as new cards" in captured.err
    assert main(["export", "anki", str(out)]) == 1
    assert "already exists; use --force" in capsys.readouterr().err
    assert main(["export", "anki", str(out), "--force"]) == 0
    assert len(_read(out, tmp_path)["notes"]) == 3
