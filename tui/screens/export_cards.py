"""Export cards from the app (the command palette, on every screen): an Anki package or
Anki's text format, as `ponder export anki|anki-text` does.

Asks for a path, asks before overwriting, and writes in a thread worker on a connection
of its own, so no screen waits on the disk; the result is one notification (the flow is
`tui.export_flow.ask_path_then_write`, shared with the study notes' export).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui.context import ponder
from tui.export_flow import ask_path_then_write

if TYPE_CHECKING:
    from textual.app import App

WORKER_NAME = "export-cards"


@dataclass(frozen=True, slots=True)
class CardExport:
    """One export the palette offers."""

    kind: str  # "apkg" | "text"
    title: str
    help: str
    file_name: str


EXPORTS = (
    CardExport(
        "apkg",
        "Export cards to Anki (.apkg)",
        "Every card with its deck, tags, source and review history, for Anki's File > Import",
        "ponder-cards.apkg",
    ),
    CardExport(
        "text",
        "Export cards as Anki text",
        "Anki's plain-text notes format (tab separated, with headers)",
        "ponder-cards.txt",
    ),
)


def _write(database: str, kind: str, path: str, force: bool, rollover_hour: int = 4) -> str:
    """In a thread: the export on a new connection; a one-line report."""
    from core.db import connect
    from decks.anki import export_anki_text, export_apkg

    conn = connect(database or None)
    try:
        if kind == "apkg":
            report = export_apkg(conn, path, force=force, rollover_hour=rollover_hour)
        else:
            report = export_anki_text(conn, path, force=force)
    finally:
        conn.close()
    return f"{report.notes} notes ({report.cards} cards) written to {report.path}"


def open_card_export(app: App, kind: str) -> None:
    """Ask where, confirm an overwrite, then export in a worker (tui/export_flow.py)."""
    from decks.worker_store import database_file

    export = next(item for item in EXPORTS if item.kind == kind)
    database = database_file(ponder(app).library.conn)
    rollover = int(ponder(app).config.day_rollover_hour)
    ask_path_then_write(
        app,
        title=export.title,
        suggested=Path.cwd() / export.file_name,
        hint=export.help,
        write=lambda path, force: _write(database, kind, path, force, rollover),
        name=WORKER_NAME,
        done_title="Exported",
    )
