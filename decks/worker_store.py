"""A card store for one worker thread: a connection of its own to the same database."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from decks.repository import CardStore


def database_file(conn: sqlite3.Connection) -> str:
    """The file behind a connection ('' for an in-memory database)."""
    for row in conn.execute("PRAGMA database_list"):
        if row[1] == "main":
            return str(row[2] or "")
    return ""


@contextmanager
def worker_store(conn: sqlite3.Connection) -> Iterator[CardStore]:
    """A CardStore on a new connection to the same database, for one thread; closed after."""
    from core.db import connect
    from decks.repository import CardStore

    path = database_file(conn)
    store = CardStore(connect(path) if path else conn)
    try:
        yield store
    finally:
        if store.conn is not conn:
            store.close()
