"""Collections: named sets of transcripts (a course, a podcast, a person).

A collection is a name and an ordered list of sources (migrations/0006_collections.sql). Deleting a
collection leaves its transcripts in the library; deleting a transcript takes it out of
every collection. Names are one line, unique ignoring case. The functions take a sqlite3
connection or anything with a `.conn` (a Library); every one that writes is one
transaction.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.clock import now as utc_now
from core.db import transaction

MAX_NAME_LENGTH = 100


class CollectionError(ValueError):
    """A bad name, a name already taken, or a collection that is not there."""


@dataclass(frozen=True, slots=True)
class Collection:
    """A named set of transcripts; `source_ids` in the collection's order."""

    id: int
    name: str
    created_at: datetime
    source_ids: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "created_at": self.created_at.isoformat(),
            "source_ids": list(self.source_ids),
        }


def _conn(where: Any) -> sqlite3.Connection:
    return where if isinstance(where, sqlite3.Connection) else where.conn


def clean_name(name: str) -> str:
    """A typed name as one line (whitespace runs become one space); CollectionError if bad."""
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise CollectionError("A collection name cannot be empty.")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise CollectionError(f"A collection name can have at most {MAX_NAME_LENGTH} characters.")
    return cleaned


def _source_ids(conn: sqlite3.Connection, collection_id: int) -> tuple[int, ...]:
    rows = conn.execute(
        "SELECT source_id FROM collection_sources WHERE collection_id = ?"
        " ORDER BY position, source_id",
        (collection_id,),
    )
    return tuple(int(row[0]) for row in rows)


def _from_row(conn: sqlite3.Connection, row: Any) -> Collection:
    return Collection(
        id=int(row[0]),
        name=str(row[1]),
        created_at=datetime.fromisoformat(row[2]),
        source_ids=_source_ids(conn, int(row[0])),
    )


def collections(where: Any) -> list[Collection]:
    """Every collection, by name."""
    conn = _conn(where)
    rows = conn.execute(
        "SELECT id, name, created_at FROM collections ORDER BY name COLLATE NOCASE, id"
    ).fetchall()
    return [_from_row(conn, row) for row in rows]


def get(where: Any, collection_id: int) -> Collection | None:
    conn = _conn(where)
    row = conn.execute(
        "SELECT id, name, created_at FROM collections WHERE id = ?", (collection_id,)
    ).fetchone()
    return _from_row(conn, row) if row else None


def find(where: Any, name: str) -> Collection | None:
    """The collection called `name` (ignoring case and extra spaces), if any."""
    conn = _conn(where)
    row = conn.execute(
        "SELECT id, name, created_at FROM collections WHERE name = ?",
        (" ".join(str(name).split()),),
    ).fetchone()
    return _from_row(conn, row) if row else None


def require(where: Any, name: str) -> Collection:
    """`find`, or a CollectionError naming the collections there are."""
    found = find(where, name)
    if found is not None:
        return found
    names = [c.name for c in collections(where)]
    known = f" (there are: {', '.join(names)})" if names else " (there are none yet)"
    raise CollectionError(f"No collection called {' '.join(str(name).split())!r}{known}.")


def create(where: Any, name: str) -> Collection:
    """A new empty collection; CollectionError if the name is bad or taken."""
    conn = _conn(where)
    cleaned = clean_name(name)
    try:
        with transaction(conn):
            cursor = conn.execute(
                "INSERT INTO collections (name, created_at) VALUES (?, ?)",
                (cleaned, utc_now().isoformat()),
            )
    except sqlite3.IntegrityError:
        raise CollectionError(f"There is already a collection called {cleaned!r}.") from None
    found = get(conn, int(cursor.lastrowid or 0))
    assert found is not None
    return found


def add_source(where: Any, collection_id: int, source_id: int) -> bool:
    """Put a transcript at the end of a collection; False if it was already in it.

    CollectionError if the collection or the transcript is not there.
    """
    conn = _conn(where)
    with transaction(conn):
        if (
            conn.execute("SELECT 1 FROM collections WHERE id = ?", (collection_id,)).fetchone()
            is None
        ):
            raise CollectionError("That collection no longer exists.")
        if conn.execute("SELECT 1 FROM sources WHERE id = ?", (source_id,)).fetchone() is None:
            raise CollectionError(f"No source with id {source_id}.")
        cursor = conn.execute(
            "INSERT OR IGNORE INTO collection_sources (collection_id, source_id, position,"
            " added_at) SELECT ?, ?, COALESCE(MAX(position), -1) + 1, ?"
            " FROM collection_sources WHERE collection_id = ?",
            (collection_id, source_id, utc_now().isoformat(), collection_id),
        )
    return cursor.rowcount > 0


def remove_source(where: Any, collection_id: int, source_id: int) -> bool:
    """Take a transcript out of a collection (it stays in the library); False if not in it."""
    conn = _conn(where)
    with transaction(conn):
        cursor = conn.execute(
            "DELETE FROM collection_sources WHERE collection_id = ? AND source_id = ?",
            (collection_id, source_id),
        )
    return cursor.rowcount > 0


def delete(where: Any, collection_id: int) -> bool:
    """Delete a collection with its chats and guides; its transcripts stay in the library."""
    conn = _conn(where)
    with transaction(conn):
        cursor = conn.execute("DELETE FROM collections WHERE id = ?", (collection_id,))
    return cursor.rowcount > 0


def collections_of(where: Any, source_id: int) -> list[Collection]:
    """The collections a transcript is in, by name."""
    conn = _conn(where)
    rows = conn.execute(
        "SELECT c.id, c.name, c.created_at FROM collections c"
        " JOIN collection_sources cs ON cs.collection_id = c.id"
        " WHERE cs.source_id = ? ORDER BY c.name COLLATE NOCASE, c.id",
        (source_id,),
    ).fetchall()
    return [_from_row(conn, row) for row in rows]
