"""The search index over `segments` (external content, migration 0012): it holds exactly
what the segments say after imports, edits and deletes; a library indexed the old way is
migrated with its data kept; snippets, capped ranking and short prefixes.

The oracle for "exactly what the segments say" is an ordinary FTS5 table (its own copy of
the text, same tokenizer) built from `segments` at the moment of the check: both indexes
must list the same (term, segment, position) instances.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import core.search as search_module
from core.db import _statements, connect, migrations
from core.library import Library
from core.models import Segment, Source, Transcript
from core.search import TOKENIZE, SearchError, search
from tui.cli import main

EXTERNAL = 12  # the migration under test


def add(library: Library, title: str, texts: list[str]) -> int:
    segments = [Segment(text, i * 10.0, (i + 1) * 10.0) for i, text in enumerate(texts)]
    return library.add(Transcript(Source(title=title, origin=title), segments)).source_id


def instances(conn: sqlite3.Connection, schema: str, table: str) -> set[tuple[str, int, int]]:
    conn.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{table}_instances"
        f" USING fts5vocab({schema}, {table}, instance)"
    )
    rows = conn.execute(f"SELECT term, doc, offset FROM temp.{table}_instances")
    return {(str(term), int(doc), int(offset)) for term, doc, offset in rows}


def oracle_instances(conn: sqlite3.Connection) -> set[tuple[str, int, int]]:
    """What a freshly built index of today's segments holds."""
    conn.execute("DROP TABLE IF EXISTS temp.oracle")
    conn.execute("DROP TABLE IF EXISTS temp.oracle_instances")
    conn.execute(f"CREATE VIRTUAL TABLE temp.oracle USING fts5(text, tokenize = '{TOKENIZE}')")
    conn.execute(
        "INSERT INTO temp.oracle (rowid, text)"
        " SELECT source_id * 4294967296 + idx, text FROM segments"
    )
    return instances(conn, "temp", "oracle")


def assert_index_matches_segments(conn: sqlite3.Connection) -> None:
    held = instances(conn, "main", "segment_search")
    assert held == oracle_instances(conn)
    docs = conn.execute("SELECT COUNT(*) FROM segment_search_docsize").fetchone()[0]
    assert docs == conn.execute("SELECT COUNT(*) FROM segments").fetchone()[0]


def test_index_follows_imports_edits_and_deletes(library: Library) -> None:
    conn = library.conn
    first = add(library, "One", ["Entropy always increases.", "The café is naïve."])
    second = add(library, "Two", ["Entropy of the empire", "Rome fell slowly"])
    assert_index_matches_segments(conn)
    conn.execute(
        "UPDATE segments SET text = 'Carthage rose' WHERE source_id = ? AND idx = 1", (second,)
    )
    assert_index_matches_segments(conn)
    conn.execute("UPDATE segments SET start = 99.0, speaker = 'Ann' WHERE source_id = ?", (first,))
    assert_index_matches_segments(conn)
    assert library.remove(first)
    assert_index_matches_segments(conn)
    assert [h.source_id for h in search(library, "entropy")] == [second]
    assert search(library, "rome") == []
    assert [h.segment for h in search(library, "carthage")] == [2]


def test_a_timing_edit_leaves_the_index_alone(library: Library) -> None:
    add(library, "One", ["Entropy always increases."])
    before = library.conn.execute("SELECT COUNT(*) FROM segment_search_data").fetchone()[0]
    library.conn.execute("UPDATE segments SET start = 5.0, \"end\" = 6.0, speaker = 'Bo'")
    after = library.conn.execute("SELECT COUNT(*) FROM segment_search_data").fetchone()[0]
    assert after == before  # no 'delete' + insert written for a text that did not change


def test_snippets_are_fts5s_own(library: Library) -> None:
    """The scratch table makes the same snippet FTS5 makes over a stored copy of the text."""
    text = (
        "Long before the café opened, photosynthesis was the talk of the town: every"
        " naïve student said photosynthesis twice, and the teacher said it thrice."
    )
    add(library, "One", ["Nothing here.", text])
    conn = library.conn
    oracle_instances(conn)  # builds temp.oracle from the segments
    for query in ["photosynthesis", "photo*", '"the teacher"', "cafe naive", "town"]:
        (hit,) = search(library, query)
        expected = conn.execute(
            "SELECT snippet(oracle, 0, '[', ']', '…', ?) FROM temp.oracle WHERE oracle MATCH ?",
            (search_module.SNIPPET_TOKENS, search_module.fts_query(query)),
        ).fetchone()[0]
        assert hit.snippet == expected
        assert "[" in hit.snippet


def test_scratch_tokenizer_is_the_index_tokenizer(library: Library) -> None:
    sql = library.conn.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'segment_search'"
    ).fetchone()[0]
    assert f"tokenize = '{TOKENIZE}'" in sql


def test_ranking_is_capped_to_the_newest_matches(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    older = add(library, "Old", ["light light light", "light"])  # the best bm25 matches
    newer = add(library, "New", ["light and a great many other words here", "light and more"])
    assert not search(library, "light").capped
    assert search(library, "light")[0].source_id == older
    monkeypatch.setattr(search_module, "RANK_CAP", 2)
    hits = search(library, "light")
    assert hits.capped
    assert {h.source_id for h in hits} == {newer}  # only the 2 newest were ranked
    one = search(library, "light", source_id=older)  # 2 matches in scope: not capped
    assert not one.capped and len(one) == 2


def test_a_short_prefix_is_a_clear_error(
    library: Library, capsys: pytest.CaptureFixture[str]
) -> None:
    add(library, "One", ["photosynthesis"])
    for query in ["p*", "ph*", "x ph* y"]:
        with pytest.raises(SearchError, match="too short a prefix"):
            search(library, query)
    assert [h.segment for h in search(library, "pho*")] == [1]
    assert main(["search", "ph*"]) == 1
    err = capsys.readouterr().err
    assert "too short a prefix" in err and len(err.strip().splitlines()) == 1


# -- the migration ------------------------------------------------------------------------


def _library_before(path: Path) -> None:
    """A library as Ponder left it at migration 11: the index held its own copy of the text
    (source_id and idx too), filled by Library.add's bulk insert of that time."""
    old = sqlite3.connect(path, isolation_level=None)
    old.execute("PRAGMA foreign_keys = ON")
    for version, _name, sql in migrations():
        if version >= EXTERNAL:
            break
        for statement in _statements(sql):
            old.execute(statement)
        old.execute(f"PRAGMA user_version = {version}")
    talks = {
        7: ["nothing here", "Entropy always increases", "Le café était naïf"],
        9: ["Rome and Carthage fought", "entropy of empires"],
    }
    for source_id, texts in talks.items():
        old.execute(
            "INSERT INTO sources (id, title, origin, content_hash, imported_at, segment_count)"
            " VALUES (?, ?, 'x', ?, '2025-01-01T00:00:00+00:00', ?)",
            (source_id, f"Talk {source_id}", f"h{source_id}", len(texts)),
        )
        old.executemany(
            "INSERT INTO segments (source_id, idx, start, text) VALUES (?, ?, ?, ?)",
            [(source_id, i, i * 65.0, text) for i, text in enumerate(texts)],
        )
        old.execute(
            "INSERT INTO segment_search (rowid, text, source_id, idx)"
            " SELECT source_id * 4294967296 + idx, text, source_id, idx FROM segments"
            " WHERE source_id = ?",
            (source_id,),
        )
    old.execute("DELETE FROM sources WHERE id = 9")  # cascades; the old trigger unindexes it
    old.execute("INSERT INTO collections (id, name, created_at) VALUES (1, 'Course', 'now')")
    old.execute(
        "INSERT INTO collection_sources (collection_id, source_id, position, added_at)"
        " VALUES (1, 7, 0, 'now')"
    )
    old.close()


def test_migration_reindexes_a_library_made_before_it(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _library_before(path)
    before = sqlite3.connect(path)
    segments_before = before.execute("SELECT * FROM segments ORDER BY source_id, idx").fetchall()
    sources_before = before.execute("SELECT * FROM sources").fetchall()
    before.close()

    conn = connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] >= EXTERNAL
        segments_after = conn.execute("SELECT * FROM segments ORDER BY source_id, idx")
        assert [tuple(row) for row in segments_after] == segments_before
        assert [tuple(r) for r in conn.execute("SELECT * FROM sources")] == sources_before
        assert_index_matches_segments(conn)
        assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0  # the copy's pages
        (hit,) = search(conn, "entropy")
        assert (hit.source_id, hit.title, hit.segment, hit.start) == (7, "Talk 7", 2, 65.0)
        assert hit.snippet == "[Entropy] always increases"
        assert [h.segment for h in search(conn, "cafe naif", collection_id=1)] == [3]
        assert search(conn, "carthage") == []
        # Kept current from now on: a delete through the new triggers.
        conn.execute("DELETE FROM sources WHERE id = 7")
        assert_index_matches_segments(conn)
        assert search(conn, "entropy") == []
    finally:
        conn.close()


def test_scopes_with_gaps_and_no_overlap(library: Library) -> None:
    from core import collections

    first, second, third = (add(library, name, [f"light in {name}"]) for name in "ABC")
    course = collections.create(library.conn, "Course")
    for source_id in (first, third):
        collections.add_source(library.conn, course.id, source_id)
    hits = search(library, "light", collection_id=course.id)
    assert sorted(h.source_id for h in hits) == [first, third]  # not the one in between
    assert [h.source_id for h in search(library, "light", third, collection_id=course.id)] == [
        third
    ]
    assert search(library, "light", second, collection_id=course.id) == []
    assert search_module.best_passages(library, "light?", [first, third]) == [
        (first, 0),
        (third, 0),
    ]
    assert search_module.best_passages(library, "light?", []) == []


def test_cli_notes_a_capped_ranking_on_stderr(
    library: Library, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    add(library, "One", ["light one", "light two", "light three"])
    assert main(["search", "light", "--json"]) == 0
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(search_module, "RANK_CAP", 2)
    assert main(["search", "light", "--json"]) == 0
    captured = capsys.readouterr()
    assert len(json.loads(captured.out)) == 2  # stdout is still just the JSON
    assert captured.err == search_module.capped_note() + "\n"
    assert "newest 2 are shown" in captured.err


def test_a_limit_above_a_statements_parameters(library: Library) -> None:
    add(library, "Many", [f"word number {n}" for n in range(1200)])
    library.conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)  # SQLite's old default
    hits = search(library, "word", limit=100_000)
    assert sorted(h.segment for h in hits) == list(range(1, 1201))
    assert all(h.snippet.startswith("[word]") for h in hits)


def test_an_upgrade_says_what_it_is_doing_and_a_new_library_says_nothing(
    ponder_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rebuilding the index of a large library takes seconds at start-up: the CLI (and the
    app, started by the same `ponder`) says so on stderr instead of seeming to hang."""
    assert main(["list", "--json"]) == 0  # a new library: made, not upgraded
    assert "Upgrading" not in capsys.readouterr().err
    (ponder_home / "ponder.db").unlink()
    for leftover in ponder_home.glob("ponder.db-*"):
        leftover.unlink()
    _library_before(ponder_home / "ponder.db")
    pending = [version for version, _name, _sql in migrations() if version >= EXTERNAL]
    assert main(["list", "--json"]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == (
        f"ponder: Upgrading the library (1 of {len(pending)}): The search index without a"
        " second copy of every segment's text (external content)…"
    )
    assert "ponder: Upgrading the library: giving the freed space back to the disk…" in lines
    assert lines[-1].startswith("ponder: The library is up to date (")
    assert main(["list", "--json"]) == 0  # once
    assert capsys.readouterr().err == ""
