"""What screens need for work in threads: a connection of their own, and a way back."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

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


class PostsFromThreads:
    """A screen whose thread workers report back to it."""

    def _post(self, callback: Any, *args: Any) -> None:
        """Run `callback(*args)` on the UI thread, if this screen is still there."""

        def run() -> None:
            if self.is_mounted:  # type: ignore[attr-defined]
                callback(*args)

        self.app.call_from_thread(run)  # type: ignore[attr-defined]
