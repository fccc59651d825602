"""Search everything (offline): the FTS5 index (migrations 0005, 0012), core.search and
`ponder search`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from core.db import _statements, connect, migrations
from core.library import Library
from core.models import Segment, Source, Transcript
from core.search import SearchError, fts_query, search
from tui.cli import main


def add(library: Library, title: str, texts: list[str], step: float = 10.0) -> int:
    segments = [Segment(text, i * step, (i + 1) * step) for i, text in enumerate(texts)]
    return library.add(Transcript(Source(title=title, origin=title), segments)).source_id


@pytest.fixture
def lib(library: Library) -> Library:
    add(
        library,
        "Biology",
        [
            "Plants make food by photosynthesis in the leaves.",
            "Mitochondria are the powerhouse of the cell, as every student learns.",
            "Chlorophyll absorbs light; light drives the reaction.",
            "A café near the lab serves naïve coffee.",
        ],
    )
    add(
        library,
        "History",
        [
            "The powerhouse of the empire was its trade.",
            "Rome and Carthage fought three wars.",
            "Light cavalry decided the battle, among many other things that happened that day.",
        ],
    )
    return library


def test_hits_carry_source_title_segment_number_and_start(lib: Library) -> None:
    hits = search(lib, "mitochondria")
    assert len(hits) == 1
    hit = hits[0]
    assert (hit.title, hit.segment, hit.start) == ("Biology", 2, 10.0)  # ¶2, counted from 1
    assert hit.source_id == next(s.id for s in lib.sources() if s.title == "Biology")


def test_words_twice_in_a_shorter_segment_rank_first(library: Library) -> None:
    # Added first (lower ids), so only bm25 can put the best segment ahead of them.
    add(library, "Long", ["The light was one of many things that people saw there that day."])
    add(library, "Short", ["Nothing here.", "Light, more light."])
    hits = search(library, "light")
    assert [(h.title, h.segment) for h in hits] == [("Short", 2), ("Long", 1)]


def test_snippet_marks_matches(lib: Library) -> None:
    (hit,) = search(lib, "carthage")
    assert "[Carthage]" in hit.snippet
    (hit,) = search(lib, "carthage", mark=("<", ">"))
    assert "<Carthage>" in hit.snippet


def test_all_words_are_required(lib: Library) -> None:
    assert [h.title for h in search(lib, "powerhouse cell")] == ["Biology"]
    assert search(lib, "powerhouse carthage") == []


def test_quoted_phrase_matches_only_in_order(lib: Library) -> None:
    assert {h.title for h in search(lib, "powerhouse empire")} == {"History"}
    assert [h.title for h in search(lib, '"powerhouse of the empire"')] == ["History"]
    assert search(lib, '"empire the of powerhouse"') == []


def test_trailing_star_is_a_prefix(lib: Library) -> None:
    assert search(lib, "photo") == []
    assert [h.segment for h in search(lib, "photo*")] == [1]


def test_accents_are_ignored(lib: Library) -> None:
    assert [h.segment for h in search(lib, "cafe naive")] == [4]
    assert [h.segment for h in search(lib, "CAFÉ")] == [4]


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "AND",
        "NEAR(",
        "a:b",
        "-x",
        "'",
        "OR light",
        "light NOT",
        "(light",
        "^light",
        "light)",
        'light "',
        "text:light",
        "light AND",
        "NEAR(light cavalry)",
        "l*ght",
        "*light",
    ],
)
def test_hostile_queries_never_raise_sqlite_errors(lib: Library, query: str) -> None:
    try:
        hits = search(lib, query)  # a list, or a clear SearchError: never a sqlite3 error
    except SearchError as error:
        assert "Nothing to search for" in str(error)
    else:
        assert isinstance(hits, list)


def test_operators_are_plain_words(lib: Library) -> None:
    # "AND"/"OR"/"NOT" are searched as words (they appear nowhere), not used as operators.
    assert search(lib, "light OR carthage") == []
    assert search(lib, "light NOT cavalry") == []
    assert search(lib, "NEAR(light cavalry)") == []  # "near light" as a phrase: nowhere
    assert [h.title for h in search(lib, "(carthage)")] == ["History"]


@pytest.mark.parametrize("query", ["", "   ", "*", '""', "-", "'", "( ) : ^"])
def test_empty_queries_are_a_clear_error(lib: Library, query: str) -> None:
    with pytest.raises(SearchError, match="Nothing to search for"):
        search(lib, query)
    assert issubclass(SearchError, ValueError)


def test_fts_query_quotes_every_token() -> None:
    assert (
        fts_query('light "the cell" photo* a:b') == '"light" AND "the cell" AND "photo"* AND "a:b"'
    )
    assert fts_query('say "hi') == '"say" AND """hi"'


def test_source_filter_and_limit(lib: Library) -> None:
    history = next(s.id for s in lib.sources() if s.title == "History")
    assert [h.title for h in search(lib, "light", source_id=history)] == ["History"]
    assert len(search(lib, "the", limit=2)) == 2
    with pytest.raises(SearchError):
        search(lib, "the", limit=0)


def test_deleted_transcripts_leave_the_index(lib: Library) -> None:
    biology = next(s.id for s in lib.sources() if s.title == "Biology")
    assert lib.remove(biology)
    assert search(lib, "mitochondria") == []
    assert [h.title for h in search(lib, "light")] == ["History"]
    count = lib.conn.execute("SELECT COUNT(*) FROM segment_search_docsize").fetchone()[0]
    assert count == 3  # one row per indexed segment


def test_edited_segments_are_reindexed(lib: Library) -> None:
    lib.conn.execute(
        "UPDATE segments SET text = 'Hannibal crossed the Alps' WHERE text LIKE 'Rome%'"
    )
    assert search(lib, "carthage") == []
    assert [h.segment for h in search(lib, "hannibal")] == [2]


def test_migration_indexes_a_library_made_before_search(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path, isolation_level=None)
    old.execute("PRAGMA foreign_keys = ON")
    for version, _name, sql in migrations():
        if version > 4:
            break
        for statement in _statements(sql):
            old.execute(statement)
    old.execute("PRAGMA user_version = 4")
    old.execute(
        "INSERT INTO sources (id, title, origin, content_hash, imported_at, segment_count)"
        " VALUES (7, 'Old lecture', 'x', 'h', '2025-01-01T00:00:00+00:00', 2)"
    )
    old.execute(
        "INSERT INTO segments (source_id, idx, start, text) VALUES"
        " (7, 0, 0.0, 'nothing here'), (7, 1, 65.0, 'Entropy always increases')"
    )
    old.close()

    conn = connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] >= 5
        (hit,) = search(conn, "entropy")
        assert (hit.source_id, hit.title, hit.segment, hit.start) == (7, "Old lecture", 2, 65.0)
        assert conn.execute("SELECT COUNT(*) FROM segments").fetchone()[0] == 2
    finally:
        conn.close()


# -- the CLI -------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_prints_one_line_per_match(lib: Library, capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = run(capsys, "search", "carthage")
    assert code == 0
    history = next(s.id for s in lib.sources() if s.title == "History")
    assert stdout == f"{history}  0:00:10  History — Rome and [Carthage] fought three wars.\n"


def test_cli_json(lib: Library, capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = run(capsys, "search", "light", "--json", "--limit", "1")
    assert code == 0
    data = json.loads(stdout)
    assert len(data) == 1
    assert set(data[0]) == {"source_id", "title", "segment", "start", "snippet"}
    assert (data[0]["title"], data[0]["segment"], data[0]["start"]) == ("Biology", 3, 20.0)


def test_cli_no_matches_and_errors(lib: Library, capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = run(capsys, "search", "zebra")
    assert (code, stdout) == (0, "no matches for zebra\n")
    code, _, stderr = run(capsys, "search", "*")
    assert code == 1 and "Nothing to search for" in stderr
    code, _, stderr = run(capsys, "search", "light", "--source", "999")
    assert code == 1 and "no source with id 999" in stderr
    code, _, stderr = run(capsys, "search", "light", "--limit", "0")
    assert code == 1


def test_cli_makes_untrusted_text_inert(
    library: Library, capsys: pytest.CaptureFixture[str]
) -> None:
    add(library, "Evil \x1b]0;pwned\x07 title", ["boom \x1b[31mred\x1b[0m payload"])
    code, stdout, _ = run(capsys, "search", "payload")
    assert code == 0
    assert "\x1b" not in stdout and "\x07" not in stdout
    assert "␛" in stdout
