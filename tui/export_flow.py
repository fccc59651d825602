"""The app's one flow for writing a file the learner names: ask, confirm, write, report.

Exporting cards (the palette) and a transcript's study notes (`E` on the study screen)
both ask for a path (a suggestion filled in), ask before overwriting a file, write in a
thread worker of the app's so no screen waits on the disk, and end with one notification
(`PonderApp.on_worker_state_changed` calls `report_written`). A failure (a missing folder,
a full disk) is that notification's one line, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from weakref import WeakSet

from textual.app import App
from textual.worker import Worker, WorkerState

from core.textsafe import inert_line

# The workers `ask_path_then_write` started, so the report knows its own.
_WRITES: WeakSet[Worker[Any]] = WeakSet()


@dataclass(frozen=True, slots=True)
class Written:
    """What a write worker returns: the line to show and the notification's title."""

    message: str
    title: str = ""


def ask_path_then_write(
    app: App[Any],
    *,
    title: str,
    suggested: Path,
    hint: str,
    write: Callable[[str, bool], str],
    name: str,
    done_title: str = "",
) -> None:
    """Ask where to write (`suggested` filled in), confirm an overwrite, then run
    `write(path, force)` in a thread worker named `name` (one at a time per name).

    `write` gets the path stripped and with `~` expanded; it returns the line to report.
    """
    from tui.screens.confirm import ConfirmScreen
    from tui.screens.prompt import PromptScreen

    def start(path: str, force: bool) -> None:
        worker = app.run_worker(
            lambda: Written(write(path, force), done_title),
            thread=True,
            group=name,
            exclusive=True,
            name=name,
            exit_on_error=False,
        )
        _WRITES.add(worker)

    def chosen(answer: str | None) -> None:
        text = (answer or "").strip()
        if not text:
            return
        target = Path(text).expanduser()
        if not (target.exists() and not target.is_dir()):
            start(str(target), False)
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                start(str(target), True)

        app.push_screen(
            ConfirmScreen(f"{target} exists. Overwrite it?", confirm_label="Overwrite"),
            confirmed,
        )

    app.push_screen(
        PromptScreen(title, value=str(suggested), hint=f"{hint} · Enter to write · Esc to cancel"),
        chosen,
    )


def report_written(app: App[Any], event: Worker.StateChanged) -> bool:
    """Notify how a write worker ended; True if the worker was one of ours.

    The event's state, not the worker's: a quick worker has often finished by the time its
    pending and running events are handled, and each would report the end again.
    """
    worker = event.worker
    if worker not in _WRITES:
        return False
    if event.state == WorkerState.SUCCESS and isinstance(worker.result, Written):
        written = worker.result
        app.notify(inert_line(written.message), title=written.title, markup=False)
    elif event.state == WorkerState.ERROR:
        app.notify(
            inert_line(str(worker.error)), severity="error", markup=False, title="Export failed"
        )
    return True


__all__ = ["Written", "ask_path_then_write", "report_written"]
