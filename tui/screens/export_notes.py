"""`E` on the study screen: the transcript's study notes as a Markdown file.

The same export as `ponder export markdown`: asks for a path, asks before overwriting,
and writes in a thread worker of the app's so no screen waits on the disk (the flow is
`tui.export_flow.ask_path_then_write`, shared with the cards' export).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from tui.export_flow import ask_path_then_write

if TYPE_CHECKING:
    from tui.screens.study_host import StudyHost


def default_path(title: str, folder: Path | None = None) -> Path:
    """A file name from the title, safe on every file system."""
    stem = re.sub(r"[^\w\- ]+", "", title, flags=re.UNICODE).strip().replace(" ", "-")
    return (folder or Path.cwd()) / f"{stem[:60] or 'ponder-notes'}.md"


def open_markdown_export(study: StudyHost) -> None:
    """Ask where, confirm an overwrite, then write the notes in a worker."""
    transcript = study.current_transcript
    if transcript is None:
        return
    source_id = study.source_id

    def write(path: str, force: bool) -> str:
        from decks.markdown_export import write_markdown_export

        written = write_markdown_export(source_id, path, force=force)
        return f"Study notes written to {written}"

    ask_path_then_write(
        study.app,
        title="Export study notes (Markdown) to",
        suggested=default_path(transcript.source.title),
        hint="Title, link, study guides, highlights, conversations and cards",
        write=write,
        name="export-notes",
    )
