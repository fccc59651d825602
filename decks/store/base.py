"""The connection every area of the card store shares."""

from __future__ import annotations

import sqlite3

from core.db import connect


class StoreBase:
    """Holds the open connection; each area (presets, decks, notes...) adds its SQL."""

    def __init__(self, conn: sqlite3.Connection | None = None) -> None:
        self.conn = conn if conn is not None else connect()

    def close(self) -> None:
        self.conn.close()
