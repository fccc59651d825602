"""Export cards from the app (the command palette, on every screen): an Anki package or
Anki's text format, as `ponder export anki|anki-text` does.

Asks for a path, asks before overwriting, and writes in a thread worker on a connection
of its own, so no screen waits on the disk; the result is one notification.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual.worker import Worker, WorkerState

from core.textsafe import inert_line
from tui.context import ponder

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
    """Ask where, confirm an overwrite, then export in a worker."""
    from decks.worker_store import database_file
    from tui.screens.confirm import ConfirmScreen
    from tui.screens.prompt import PromptScreen

    export = next(item for item in EXPORTS if item.kind == kind)
    database = database_file(ponder(app).library.conn)
    rollover = int(ponder(app).config.day_rollover_hour)

    def write(path_text: str, force: bool) -> None:
        app.run_worker(
            lambda: _write(database, kind, str(Path(path_text).expanduser()), force, rollover),
            thread=True,
            group=WORKER_NAME,
            exclusive=True,
            name=WORKER_NAME,
            exit_on_error=False,
        )

    def chosen(path_text: str | None) -> None:
        if not path_text or not path_text.strip():
            return
        target = Path(path_text.strip()).expanduser()
        if target.exists() and not target.is_dir():

            def confirmed(yes: bool | None) -> None:
                if yes:
                    write(path_text.strip(), True)

            app.push_screen(
                ConfirmScreen(f"{target} exists. Overwrite it?", confirm_label="Overwrite"),
                confirmed,
            )
        else:
            write(path_text.strip(), False)

    app.push_screen(
        PromptScreen(
            export.title,
            value=str(Path.cwd() / export.file_name),
            hint=f"{export.help} · Enter to write · Esc to cancel",
        ),
        chosen,
    )


def report_card_export(app: App, worker: Worker) -> bool:
    """Notify how an export worker ended; True if the event was ours."""
    if worker.name != WORKER_NAME:
        return False
    if worker.state == WorkerState.SUCCESS:
        app.notify(inert_line(str(worker.result)), markup=False, title="Exported")
    elif worker.state == WorkerState.ERROR:
        app.notify(
            inert_line(str(worker.error)), severity="error", markup=False, title="Export failed"
        )
    return True
