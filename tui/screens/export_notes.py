"""`E` on the study screen: the transcript's study notes as a Markdown file.

The same export as `ponder export markdown`: asks for a path, asks before overwriting,
and writes in a thread worker of the app's (reported by `PonderApp`) so no screen waits on
the disk.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from textual.worker import Worker, WorkerState

from core.textsafe import inert_line

if TYPE_CHECKING:
    from textual.app import App

    from tui.screens.study_host import StudyHost


def default_path(title: str, folder: Path | None = None) -> Path:
    """A file name from the title, safe on every file system."""
    stem = re.sub(r"[^\w\- ]+", "", title, flags=re.UNICODE).strip().replace(" ", "-")
    return (folder or Path.cwd()) / f"{stem[:60] or 'ponder-notes'}.md"


def open_markdown_export(study: StudyHost) -> None:
    from tui.screens.confirm import ConfirmScreen
    from tui.screens.prompt import PromptScreen

    transcript = study.current_transcript
    if transcript is None:
        return
    source_id = study.source_id

    def write(path_text: str, force: bool) -> None:
        from decks.markdown_export import write_markdown_export

        study.app.run_worker(
            lambda: write_markdown_export(source_id, path_text, force=force),
            thread=True,
            group="export-notes",
            exclusive=True,
            name="export-notes",
            exit_on_error=False,
        )

    def chosen(path_text: str | None) -> None:
        if not path_text:
            return
        target = Path(path_text).expanduser()
        if target.exists() and not target.is_dir():

            def confirmed(yes: bool | None) -> None:
                if yes:
                    write(path_text, True)

            study.app.push_screen(
                ConfirmScreen(f"{target} exists. Overwrite it?", confirm_label="Overwrite"),
                confirmed,
            )
        else:
            write(path_text, False)

    study.app.push_screen(
        PromptScreen(
            "Export study notes (Markdown) to",
            value=str(default_path(transcript.source.title)),
            hint="Title, link, study guides, highlights, conversations and cards · "
            "Enter to write · Esc to cancel",
        ),
        chosen,
    )


def report_export(app: App, worker: Worker) -> bool:
    """Notify how an export worker ended; True if the event was ours."""
    if worker.name != "export-notes":
        return False
    if worker.state == WorkerState.SUCCESS:
        app.notify(f"Study notes written to {inert_line(str(worker.result))}", markup=False)
    elif worker.state == WorkerState.ERROR:
        app.notify(
            inert_line(str(worker.error)), severity="error", markup=False, title="Export failed"
        )
    return True
