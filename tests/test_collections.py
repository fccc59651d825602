"""Collections: core.collections, their migration, `ponder collection`, search by collection."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from core import collections as coll
from core.chat.store import ConversationStore
from core.db import _statements, connect, migrations
from core.library import Library
from core.models import Segment, Source, Transcript
from core.search import search
from tui.cli import main


def add(library: Library, title: str, texts: list[str]) -> int:
    segments = [Segment(text, i * 10.0, (i + 1) * 10.0) for i, text in enumerate(texts)]
    return library.add(Transcript(Source(title=title, origin=title), segments)).source_id


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def talks(library: Library) -> tuple[Library, int, int, int]:
    first = add(library, "Lecture 1", ["Entropy is a measure of disorder.", "Heat flows."])
    second = add(library, "Lecture 2", ["Entropy always increases in a closed system."])
    other = add(library, "Cooking", ["Entropy of a kitchen after dinner."])
    return library, first, second, other


# -- core ------------------------------------------------------------------------------


def test_create_add_in_order_remove_and_delete(talks) -> None:
    library, first, second, other = talks
    course = coll.create(library, "  Thermo   101 ")
    assert course.name == "Thermo 101" and course.source_ids == ()
    assert coll.add_source(library, course.id, second)
    assert coll.add_source(library, course.id, first)
    assert not coll.add_source(library, course.id, first)  # already in it
    assert coll.find(library, "THERMO 101").source_ids == (second, first)  # order kept
    assert [c.name for c in coll.collections_of(library, first)] == ["Thermo 101"]
    assert coll.remove_source(library, course.id, second)
    assert not coll.remove_source(library, course.id, other)
    assert coll.get(library, course.id).source_ids == (first,)
    assert coll.delete(library, course.id)
    assert coll.collections(library) == []
    assert library.source(first) is not None  # transcripts stay in the library


def test_names_are_checked(talks) -> None:
    library, *_ = talks
    coll.create(library, "Course")
    with pytest.raises(coll.CollectionError, match="already a collection"):
        coll.create(library, "course")
    with pytest.raises(coll.CollectionError, match="empty"):
        coll.create(library, " \n ")
    with pytest.raises(coll.CollectionError, match="at most"):
        coll.create(library, "x" * 101)
    with pytest.raises(coll.CollectionError, match="there are: Course"):
        coll.require(library, "nope")
    with pytest.raises(coll.CollectionError, match="No source"):
        coll.add_source(library, coll.find(library, "course").id, 999)


def test_deleting_a_transcript_takes_it_out_of_collections(talks) -> None:
    library, first, second, _ = talks
    course = coll.create(library, "Course")
    coll.add_source(library, course.id, first)
    coll.add_source(library, course.id, second)
    library.remove(first)
    assert coll.get(library, course.id).source_ids == (second,)


def test_search_in_a_collection_only(talks) -> None:
    library, first, second, other = talks
    course = coll.create(library, "Course")
    assert {h.source_id for h in search(library, "entropy")} == {first, second, other}
    coll.add_source(library, course.id, first)
    coll.add_source(library, course.id, second)
    hits = search(library, "entropy", collection_id=course.id)
    assert {h.source_id for h in hits} == {first, second}
    library.remove(second)  # a deleted transcript is gone from the collection's results
    assert [h.source_id for h in search(library, "entropy", collection_id=course.id)] == [first]
    empty = coll.create(library, "Empty")
    assert search(library, "entropy", collection_id=empty.id) == []


# -- the migration ---------------------------------------------------------------------


COLLECTIONS_VERSION = next(v for v, name, _sql in migrations() if name.endswith("_collections.sql"))


def test_migration_keeps_conversations_messages_and_card_chats(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path, isolation_level=None)
    old.execute("PRAGMA foreign_keys = ON")
    for version, _name, sql in migrations():
        if version >= COLLECTIONS_VERSION:
            break
        for statement in _statements(sql):
            old.execute(statement)
    old.execute(f"PRAGMA user_version = {COLLECTIONS_VERSION - 1}")
    stamp = "2025-01-01T00:00:00+00:00"
    old.execute(
        "INSERT INTO sources (id, title, origin, content_hash, imported_at, segment_count)"
        f" VALUES (7, 'Old lecture', 'x', 'h', '{stamp}', 1)"
    )
    old.execute("INSERT INTO segments (source_id, idx, start, text) VALUES (7, 0, 0.0, 'Hi')")
    old.execute(
        "INSERT INTO conversations (id, source_id, title, doc_first_segment, doc_last_segment,"
        f" created_at, updated_at) VALUES (3, 7, 'Old chat', 0, 0, '{stamp}', '{stamp}')"
    )
    old.execute(
        "INSERT INTO chat_messages (conversation_id, role, content, status, created_at,"
        f" updated_at) VALUES (3, 'user', 'What?', 'complete', '{stamp}', '{stamp}')"
    )
    old.execute(
        "INSERT INTO notes (id, guid, kind, front, source_id, created_at, modified_at)"
        f" VALUES (1, 'g', 'basic', 'Q', 7, '{stamp}', '{stamp}')"
    )
    old.execute("INSERT INTO note_chats (note_id, conversation_id) VALUES (1, 3)")
    old.close()

    conn = connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] >= COLLECTIONS_VERSION
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1  # back on
        store = ConversationStore(conn)
        (conversation,) = store.conversations(7)
        assert (conversation.id, conversation.title, conversation.window) == (3, "Old chat", (0, 0))
        assert [m.content for m in store.messages(3)] == ["What?"]
        assert conn.execute("SELECT conversation_id FROM note_chats").fetchone()[0] == 3
        # The rebuilt table still cascades: deleting the source takes its chats.
        conn.execute("DELETE FROM sources WHERE id = 7")
        assert conn.execute("SELECT COUNT(*) FROM chat_messages").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM note_chats").fetchone()[0] == 0
    finally:
        conn.close()


# -- the CLI ---------------------------------------------------------------------------


def test_cli_collection_commands(talks, capsys) -> None:
    _library, first, second, other = talks
    code, stdout, err = run(capsys, "collection", "create", "Thermo")
    assert code == 0, err
    assert "created collection" in stdout and "Thermo" in stdout
    code, stdout, err = run(capsys, "collection", "add", "thermo", str(first), str(second))
    assert code == 0, err
    assert stdout.count("added Thermo") == 2
    code, stdout, _ = run(capsys, "collection", "list")
    assert "Thermo  (2 transcripts)" in stdout
    code, stdout, _ = run(capsys, "collection", "list", "Thermo")
    assert "Lecture 1" in stdout and "Lecture 2" in stdout and "Cooking" not in stdout
    code, stdout, _ = run(capsys, "collection", "list", "Thermo", "--json")
    data = json.loads(stdout)
    assert data["source_ids"] == [first, second]
    assert [s["title"] for s in data["sources"]] == ["Lecture 1", "Lecture 2"]

    code, stdout, _ = run(capsys, "search", "entropy", "--collection", "Thermo", "--json")
    assert code == 0 and {hit["source_id"] for hit in json.loads(stdout)} == {first, second}

    code, stdout, _ = run(capsys, "collection", "remove", "Thermo", str(first))
    assert code == 0 and "removed from Thermo" in stdout
    code, stdout, _ = run(capsys, "search", "entropy", "--collection", "Thermo", "--json")
    assert [hit["source_id"] for hit in json.loads(stdout)] == [second]

    code, stdout, _ = run(capsys, "collection", "delete", "Thermo")
    assert code == 0 and "transcripts stay" in stdout
    code, stdout, _ = run(capsys, "collection", "list")
    assert "No collections yet" in stdout
    code, stdout, _ = run(capsys, "collection", "add", "New", str(other), "--create")
    assert code == 0 and "added New" in stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("collection", "create", ""), "cannot be empty"),
        (("collection", "add", "Nope", "1"), "No collection called 'Nope'"),
        (("collection", "add", "Dup", "99"), "no source with id 99"),
        (("collection", "add", "Dup", "x"), "not a source id"),
        (("collection", "remove", "Dup", "1"), "is not in the collection"),
        (("collection", "delete", "Nope"), "No collection called"),
        (("search", "entropy", "--collection", "Nope"), "No collection called"),
    ],
)
def test_cli_errors_are_one_line(talks, capsys, argv, message) -> None:
    assert run(capsys, "collection", "create", "Dup")[0] == 0
    code, _, err = run(capsys, *argv)
    assert code == 1
    assert message in err and err.count("\n") == 1
    code, _, err = run(capsys, "collection", "create", "dup")
    assert code == 1 and "already a collection called 'dup'" in err


def test_cli_names_are_printed_inert(talks, capsys) -> None:
    assert run(capsys, "collection", "create", "Evil \x1b]0;pwned\x07 name")[0] == 0
    code, stdout, _ = run(capsys, "collection", "list")
    assert code == 0 and "\x1b" not in stdout and "\x07" not in stdout
