"""Anki's text format both ways: headers, separators, quoting, HTML, guids, skipped lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.textsafe import inert
from decks.anki import export_anki_text
from decks.anki_text import (
    AnkiTextError,
    TextNote,
    format_anki_text,
    html_to_text,
    import_anki_text,
    parse_anki_text,
    text_to_html,
)
from decks.repository import CardStore


@pytest.fixture
def store(ponder_home: Path):
    from core.db import connect

    card_store = CardStore(connect())
    yield card_store
    card_store.close()


def _cards(store: CardStore) -> list[tuple]:
    """Everything a learner would call "the same cards", independent of ids."""
    rows = store.conn.execute(
        "SELECT n.guid, n.kind, n.front, n.back, d.name, c.ord,"
        " (SELECT group_concat(tag, ' ') FROM (SELECT tag FROM note_tags t"
        "   WHERE t.note_id = n.id ORDER BY tag)) FROM cards c JOIN notes n ON n.id = c.note_id"
        " JOIN decks d ON d.id = c.deck_id ORDER BY n.guid, c.ord"
    ).fetchall()
    return [tuple(row) for row in rows]


def test_export_writes_anki_headers_and_columns(store: CardStore, tmp_path: Path) -> None:
    note = store.create_note(
        "basic", 'Say "hi"\tthere', "line1\nline2 <b>", deck="A::B", tags=["x", "y"]
    ).note
    store.create_note("cloze", "The {{c1::sun}} rises", "", deck="A")
    out = tmp_path / "notes.txt"
    report = export_anki_text(store.conn, out)
    assert report.notes == 2 and report.cards == 2
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[:6] == [
        "#separator:tab",
        "#html:true",
        "#guid column:1",
        "#notetype column:2",
        "#deck column:3",
        "#tags column:6",
    ]
    first = lines[6].split("\t")
    assert first[0] == note.guid and first[1] == "Basic" and first[2] == "A::B"
    assert lines[6].endswith("\tx y")
    assert "line1<br>line2 &lt;b&gt;" in lines[6]
    assert lines[7].split("\t")[1] == "Cloze"


def test_round_trip_into_a_fresh_home_gives_the_same_cards(
    store: CardStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.create_note("basic", "Capital of France?", "Paris", deck="Geo::Europe", tags=["geo"])
    store.create_note("reversed", "Hund", "dog", deck="Lang::German", tags=["noun", "de"])
    store.create_note(
        "cloze", "{{c1::Water}} boils at {{c2::100::number}} °C", "sea level", deck="Science"
    )
    store.create_note("basic", 'Tabs\tand "quotes"\nand lines & <tags>', "back", deck="Misc")
    expected = _cards(store)
    out = tmp_path / "export.txt"
    export_anki_text(store.conn, out)

    fresh = tmp_path / "fresh-home"
    fresh.mkdir()
    monkeypatch.setenv("PONDER_HOME", str(fresh))
    from core.db import connect

    other = CardStore(connect())
    try:
        report = import_anki_text(other.conn, out)
        assert (report.added, report.updated, report.skipped) == (4, 0, [])
        assert _cards(other) == expected
        again = import_anki_text(other.conn, out)  # same guids: nothing new
        assert (again.added, again.updated, again.unchanged) == (0, 0, 4)
        assert _cards(other) == expected
    finally:
        other.close()


def test_reimport_updates_notes_with_the_same_guid(store: CardStore, tmp_path: Path) -> None:
    note = store.create_note("basic", "Old front", "Old back", deck="D", tags=["t"]).note
    text = (
        "#separator:tab\n#html:true\n#guid column:1\n#notetype column:2\n#deck column:3\n"
        "#tags column:6\n"
        f"{note.guid}\tBasic\tD\tNew front\tNew back\tt new\n"
    )
    path = tmp_path / "update.txt"
    path.write_text(text, encoding="utf-8")
    report = import_anki_text(store.conn, path)
    assert (report.added, report.updated) == (0, 1)
    updated = store.note(note.id)
    assert (updated.front, updated.back) == ("New front", "New back")
    assert {tag.lower() for tag in updated.tags} == {"t", "new"}
    assert store.conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == 1


def test_plain_files_without_headers_and_skipped_lines_with_reasons(
    store: CardStore, tmp_path: Path
) -> None:
    path = tmp_path / "plain.csv"
    path.write_text(
        "What is 2+2?,4,math\n"  # line 1: front, back, tags
        '"A, quoted",back\n'  # line 2
        ",no front\n"  # line 3
        "\n"  # line 4: blank, ignored
        "no back,\n"  # line 5
        '"multi\nline front",answer\n'  # lines 6-7
        "The {{c1::}} empty,\n"  # line 8: cloze with an empty answer
        "last,one\n",  # line 9
        encoding="utf-8",
    )
    report = import_anki_text(store.conn, path, deck="Imported::Plain")
    assert report.added == 4 and report.decks == ["Imported::Plain"]
    reasons = [str(skip) for skip in report.skipped]
    assert reasons[0] == "line 3: empty front"
    assert reasons[1] == "line 5: empty back"
    assert reasons[2].startswith("line 8: ") and "empty answer" in reasons[2]
    fronts = {row[0] for row in store.conn.execute("SELECT front FROM notes")}
    assert fronts == {"What is 2+2?", "A, quoted", "multi\nline front", "last"}
    tags = [row[0] for row in store.conn.execute("SELECT tag FROM note_tags")]
    assert tags == ["math"]


def test_headers_by_name_notetypes_and_html(store: CardStore, tmp_path: Path) -> None:
    path = tmp_path / "anki.txt"
    path.write_text(
        "\ufeff#separator:Semicolon\n#html:true\n#notetype column:1\n#deck column:2\n"
        "#tags:from-anki\n"
        'Basic (and reversed card);Deck1;"front<br>two &amp; more";<b>back</b>\n'
        "Cloze;Deck2;A {{c1::cloze}} here;<div>extra</div>\n"
        "Image Occlusion;Deck1;x;y\n",
        encoding="utf-8",
    )
    report = import_anki_text(store.conn, path)
    assert (report.added, len(report.skipped)) == (2, 1)
    assert str(report.skipped[0]) == (
        "line 8: notetype 'Image Occlusion' is not Basic, reversed or Cloze"
    )
    rows = store.conn.execute("SELECT kind, front, back FROM notes ORDER BY id").fetchall()
    assert [tuple(row) for row in rows] == [
        ("reversed", "front\ntwo & more", "back"),
        ("cloze", "A {{c1::cloze}} here", "extra"),
    ]
    assert store.conn.execute("SELECT COUNT(*) FROM cards").fetchone()[0] == 3
    assert {row[0] for row in store.conn.execute("SELECT tag FROM note_tags")} == {"from-anki"}


def test_duplicate_guids_in_one_file_and_bad_files(store: CardStore, tmp_path: Path) -> None:
    path = tmp_path / "dupes.txt"
    path.write_text("#separator:tab\n#guid column:1\nabc\tq1\ta1\nabc\tq2\ta2\n", encoding="utf-8")
    report = import_anki_text(store.conn, path)
    assert report.added == 1 and str(report.skipped[0]) == "line 4: same guid as line 3"
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00\x01garbage")
    with pytest.raises(AnkiTextError, match=r"not UTF-8 text|not a text file"):
        import_anki_text(store.conn, binary)
    with pytest.raises(AnkiTextError, match="is not a file"):
        import_anki_text(store.conn, tmp_path / "missing.txt")
    with pytest.raises(AnkiTextError, match="deck name"):
        import_anki_text(store.conn, path, deck="A::::B")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(min_size=1, max_size=40).filter(lambda s: s.strip() and "\x00" not in s),
            st.text(min_size=1, max_size=40).filter(lambda s: s.strip() and "\x00" not in s),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_format_then_parse_keeps_any_text(pairs: list[tuple[str, str]]) -> None:
    notes = [
        TextNote("basic", front.strip(), back.strip(), ["t"], "D", f"g{index}")
        for index, (front, back) in enumerate(pairs)
    ]
    parsed = parse_anki_text(format_anki_text(notes))
    expected = [
        (html_to_text(inert(text_to_html(n.front))), html_to_text(inert(text_to_html(n.back))))
        for n in notes
    ]
    kept = [(n.front, n.back) for n in parsed.notes]
    skipped_lines = {skip.line for skip in parsed.skipped}
    assert len(kept) + len(skipped_lines) == len(notes)
    assert all(pair in expected for pair in kept)


def test_cli_export_and_import(
    store: CardStore, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from tui.cli import main

    store.create_note("basic", "q", "a", deck="CLI")
    out = tmp_path / "cli.txt"
    assert main(["export", "anki-text", str(out)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(out)
    assert main(["export", "anki-text", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err
    bad = tmp_path / "bad.txt"
    bad.write_text("ok,fine\n,\n,back only\n", encoding="utf-8")
    assert main(["import", "anki-text", str(bad), "--deck", "New"]) == 0
    printed = capsys.readouterr().out
    assert "1 added, 0 updated, 1 skipped" in printed and "line 3: empty front" in printed
    assert main(["import", "anki-text", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unchanged"] == 1 and data["added"] == 0
    assert main(["import", "anki-text", str(tmp_path / "nope.txt")]) == 1
    assert "is not a file" in capsys.readouterr().err


def test_export_makes_escape_bytes_inert(store: CardStore, tmp_path: Path) -> None:
    """Card text with ESC/CSI/OSC sequences is written as visible symbols, not raw bytes."""
    store.create_note(
        "basic", "red \x1b[31mfront\x1b[0m", "osc \x1b]52;c;aGk=\x07 \x9b2J back", deck="Esc"
    )
    out = tmp_path / "esc.txt"
    export_anki_text(store.conn, out)
    data = out.read_bytes()
    for raw in (b"\x1b", b"\x07", "\x9b".encode()):
        assert raw not in data, raw
    text = data.decode("utf-8")
    assert "red ␛[31mfront␛[0m" in text and "osc ␛]52;c;aGk=␇" in text


def test_a_line_over_the_size_limit_is_reported_as_too_long() -> None:
    """csv refuses a field past 131,072 characters; the reason is its length, not a line break."""
    huge = "a" * 200_000
    parsed = parse_anki_text(f"#separator:tab\n{huge}\tback\nok\tfine\n")
    assert [(skip.line, skip.reason) for skip in parsed.skipped] == [
        (2, "a field is longer than 100000 characters")
    ]
    assert [(note.front, note.back) for note in parsed.notes] == [("ok", "fine")]


def test_export_carries_the_source_and_a_round_trip_keeps_the_back(
    store: CardStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the .apkg: title, timestamp, the video link and the passage ride with the note
    (after the back, for Anki's stock notetypes); importing it again keeps the back."""
    from core.library import Library
    from core.models import Segment, Source, Transcript
    from decks.models import SourceRef

    library = Library(store.conn)
    source_id = library.add(
        Transcript(
            Source(title="Howard <talk>", origin="https://youtu.be/dQw4w9WgXcQ",
                   kind="youtube", video_id="dQw4w9WgXcQ"),
            [Segment("Intro.", 0, 60), Segment("Spacing beats cramming.", 3725, 3730)],
        )
    ).source_id  # fmt: skip
    store.create_note(
        "basic", "What beats cramming?", "Spacing", deck="Talks",
        source=SourceRef(source_id, first_segment=1, last_segment=1),
    )  # fmt: skip
    expected = _cards(store)
    out = tmp_path / "notes.txt"
    export_anki_text(store.conn, out)
    import csv

    rows = list(csv.reader(out.read_text(encoding="utf-8").splitlines()[6:], delimiter="\t"))
    back = rows[0][4]
    assert back.startswith('Spacing<div class="ponder-source">')
    assert "Howard &lt;talk&gt; @ 01:02:05" in back
    assert 'href="https://youtu.be/dQw4w9WgXcQ?t=3725"' in back
    assert "Spacing beats cramming." in back

    fresh = tmp_path / "fresh-home"
    fresh.mkdir()
    monkeypatch.setenv("PONDER_HOME", str(fresh))
    from core.db import connect

    other = CardStore(connect())
    try:
        import_anki_text(other.conn, out)
        assert _cards(other) == expected  # the back is "Spacing" again
    finally:
        other.close()
