"""Sync with Anki from any screen: a small modal with the engine's progress, Esc to cancel.

The sync itself is decks.anki_sync.sync, run in a thread worker on a connection of its
own; the modal only shows its stages and asks it to stop. The end is one notification:
the summary line, or why it did not happen (not logged in, offline, a refused full sync),
and Ponder keeps working either way.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import ProgressBar, Static

from core.textsafe import inert_line
from tui.context import ponder

if TYPE_CHECKING:
    from textual.app import App

NOT_LOGGED_IN = (
    "Not logged in to Anki: log in under Anki in Settings (,) or run `ponder anki login USER`."
)


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    """How a sync ended: `ok` with the summary line, or the one-line reason it did not."""

    ok: bool
    message: str
    cancelled: bool = False
    new_endpoint: str | None = None  # the server moved the account (AnkiWeb shards)


def run_sync(database: str, config: Any, cancel: threading.Event, progress: Any) -> SyncOutcome:
    """In a thread: one sync on a new connection; every failure becomes an outcome."""
    from core.db import connect
    from core.paths import home
    from decks.anki_sync import AnkiAccount, AnkiSyncError, SyncCancelled, sync

    account = AnkiAccount.from_config(config)
    conn = connect(database or None)
    try:
        summary = sync(
            conn, account, config, home=home(), progress=progress, cancelled=cancel.is_set
        )
    except SyncCancelled as error:
        return SyncOutcome(False, str(error), cancelled=True)
    except AnkiSyncError as error:
        return SyncOutcome(False, str(error))
    except OSError as error:  # the bridge folder cannot be written, and the like
        return SyncOutcome(False, f"Anki sync failed: {error}")
    finally:
        conn.close()
    return SyncOutcome(True, summary.line(), new_endpoint=summary.new_endpoint)


class AnkiSyncScreen(ModalScreen[SyncOutcome]):
    """The engine's stages and a bar while it syncs; Esc asks it to stop at a safe point."""

    HELP_GROUP = "Anki sync"

    BINDINGS: list[BindingType] = [
        Binding("escape", "cancel", "Cancel sync", id="anki_sync.cancel"),
    ]

    DEFAULT_CSS = """
    AnkiSyncScreen { align: center middle; }
    AnkiSyncScreen > #anki-sync-dialog {
        width: 60; max-width: 95%; height: auto; padding: 1 2;
        background: $panel; border: round $primary;
    }
    AnkiSyncScreen #anki-sync-title { text-style: bold; margin-bottom: 1; }
    AnkiSyncScreen #anki-sync-stage { height: 1; }
    AnkiSyncScreen #anki-sync-hint { color: $text-muted; margin-top: 1; }
    """

    class Progress(Message):
        def __init__(self, stage: str, done: int, total: int) -> None:
            super().__init__()
            self.stage, self.done, self.total = stage, done, total

    class Finished(Message):
        def __init__(self, outcome: SyncOutcome) -> None:
            super().__init__()
            self.outcome = outcome

    def __init__(self, database: str, config: Any) -> None:
        super().__init__()
        self.database = database
        self.config = config
        self.cancel = threading.Event()
        self.stages: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="anki-sync-dialog"):
            yield Static(Text("Syncing with Anki"), id="anki-sync-title")
            yield Static(Text("Connecting..."), id="anki-sync-stage")
            yield ProgressBar(total=None, show_eta=False, id="anki-sync-bar")
            yield Static(Text("Esc cancels (nothing is left half-done)"), id="anki-sync-hint")

    def on_mount(self) -> None:
        self._sync()

    @work(thread=True, exclusive=True, group="anki-sync", exit_on_error=False)
    def _sync(self) -> None:
        def progress(stage: str, done: int, total: int) -> None:
            self.post_message(self.Progress(stage, done, total))

        try:
            outcome = run_sync(self.database, self.config, self.cancel, progress)
        except Exception as error:  # never a traceback: one line, Ponder keeps working
            outcome = SyncOutcome(False, f"Anki sync failed: {error}")
        self.post_message(self.Finished(outcome))

    @on(Progress)
    def _progress(self, event: Progress) -> None:
        if event.stage not in self.stages:
            self.stages.append(event.stage)
        if self.cancel.is_set():
            return
        self.query_one("#anki-sync-stage", Static).update(Text(inert_line(event.stage)))
        bar = self.query_one("#anki-sync-bar", ProgressBar)
        if event.total > 1:
            bar.update(total=event.total, progress=event.done)
        else:
            bar.update(total=None)

    @on(Finished)
    def _finished(self, event: Finished) -> None:
        self.dismiss(event.outcome)

    def action_cancel(self) -> None:
        """Ask the engine to stop; it rolls back to a consistent point and reports."""
        self.cancel.set()
        self.query_one("#anki-sync-stage", Static).update(Text("Cancelling..."))


def start_anki_sync(app: App, then: Callable[[SyncOutcome | None], None] | None = None) -> None:
    """Sync now (from a key, the palette, start-up or quit); `then` runs after it ends."""
    from decks.worker_store import database_file

    config = ponder(app).config
    if any(isinstance(screen, AnkiSyncScreen) for screen in app.screen_stack):
        return  # one at a time
    if not (config.anki_user and config.anki_key):
        app.notify(NOT_LOGGED_IN, title="Anki", severity="warning", markup=False, timeout=10)
        if then is not None:
            then(None)
        return
    database = database_file(ponder(app).library.conn)

    def ended(outcome: SyncOutcome | None) -> None:
        if outcome is not None:
            report_outcome(app, outcome)
        if then is not None:
            then(outcome)

    app.push_screen(AnkiSyncScreen(database, config), ended)


def report_outcome(app: App, outcome: SyncOutcome) -> None:
    """One notification; a new endpoint the server handed out is saved."""
    if outcome.ok:
        if outcome.new_endpoint:
            ponder(app).config.anki_endpoint = outcome.new_endpoint
            with contextlib.suppress(OSError):
                ponder(app).save_config()
        app.notify(inert_line(outcome.message), title="Anki", markup=False, timeout=10)
    elif outcome.cancelled:
        app.notify(inert_line(outcome.message), title="Anki", markup=False)
    else:
        app.notify(
            inert_line(outcome.message), title="Anki", severity="warning", markup=False, timeout=12
        )


__all__ = ["NOT_LOGGED_IN", "AnkiSyncScreen", "SyncOutcome", "run_sync", "start_anki_sync"]
