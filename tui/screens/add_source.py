"""The add dialog: one input for a YouTube URL/id, a transcript file or an audio/video file.

Fetching, parsing and transcribing run in a thread worker (youtube-transcript-api and
faster-whisper are synchronous); the transcript is stored on the UI thread only after the
worker succeeds, so Esc during a fetch or a transcription discards the result and nothing
is stored. A transcription posts `TranscribeProgress` messages (audio time done / total,
time left) and stops at the next segment once cancelled. Dismisses with an `AddOutcome`, or None
when the user closes the dialog.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import DirectoryTree, Input, Label, LoadingIndicator, Static
from textual.worker import Worker, WorkerState, get_current_worker

from core.importer import import_kind
from core.textsafe import inert_line
from tui.context import ponder
from tui.widgets.completing_input import CompletingInput, shared_prefix


@dataclass(frozen=True, slots=True)
class AddOutcome:
    """What the dialog stored: the source's id and title, and whether it was already there."""

    source_id: int
    title: str
    existed: bool


def looks_like_path(text: str) -> bool:
    """True for input that names (or starts to name) a file rather than a YouTube video."""
    text = text.strip()
    if not text or "://" in text or text.startswith(("www.", "youtube.", "youtu.be")):
        return False
    return text.startswith(("/", "~", ".")) or os.sep in text or Path(text).exists()


def path_completions(value: str) -> list[str]:
    """Every file system entry that extends `value`, sorted (directories end in /)."""
    if not looks_like_path(value):
        return []
    expanded = os.path.expanduser(value)
    folder, prefix = os.path.split(expanded)
    try:
        with os.scandir(folder or ".") as entries:
            names = sorted(
                (entry.name, entry.is_dir())
                for entry in entries
                if entry.name.startswith(prefix) and (prefix or not entry.name.startswith("."))
            )
    except OSError:
        return []
    completions = []
    for name, is_dir in names:
        if name == prefix and not is_dir:
            continue
        completed = value + name[len(prefix) :] + ("/" if is_dir else "")
        if completed != value:
            completions.append(completed)
    return completions


def complete_path(value: str) -> str | None:
    """What Tab gives: the one match, or what several share when that is longer than
    `value`, or else the first of them (Tab then cycles through the rest)."""
    matches = path_completions(value)
    if not matches:
        return None
    shared = shared_prefix(matches)
    return shared if len(matches) > 1 and len(shared) > len(value) else matches[0]


class PathSuggester(Suggester):
    """Suggests file system completions for path-like input (never for URLs)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return complete_path(value)


class SafeDirectoryTree(DirectoryTree):
    """A DirectoryTree whose file names cannot drive the terminal.

    DirectoryTree already shows names as plain Text (no markup), but an escape sequence
    in a file name would reach the terminal: control characters are made visible here.
    """

    def process_label(self, label: str | Text) -> Text:  # type: ignore[override]
        if isinstance(label, str):
            return Text(inert_line(label), no_wrap=True)
        return label


class TranscribeProgress(Message):
    """Posted from the transcribing worker: seconds of audio done of total, time left."""

    def __init__(self, worker: object, done: float, total: float, eta: float | None) -> None:
        super().__init__()
        self.worker = worker
        self.done = done
        self.total = total
        self.eta = eta


class TranscribeNote(Message):
    """Posted from the worker: a line worth showing (where a downloaded model is cached)."""

    def __init__(self, line: str) -> None:
        super().__init__()
        self.line = line


MAX_CHOICES_SHOWN = 8


class SourceInput(CompletingInput):
    """Tab accepts the path completion; without one it moves on as usual."""

    BINDINGS = [
        Binding("tab", "complete", "Complete path", show=False, id="add.complete"),
    ]


class AddSourceScreen(ModalScreen[AddOutcome | None]):
    """Type or pick a source, Enter imports it, Esc cancels a fetch or closes."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="add.cancel"),
        Binding("ctrl+o", "toggle_browser", "Browse files", id="add.browse"),
    ]

    def __init__(self, initial: str = "") -> None:
        super().__init__()
        self.initial = initial
        self._pending: str | None = None
        self._worker: Worker[Any] | None = None  # the import in progress (older ones ignored)
        self._choices_shown: list[str] = []  # the completions listed under the input

    def compose(self) -> ComposeResult:
        with Vertical(id="add-dialog", classes="dialog") as dialog:
            dialog.border_title = "Add a transcript"
            yield Label(
                Text("YouTube URL or id, a transcript (SRT, VTT, JSON, text…) or audio/video"),
                id="add-help",
            )
            yield SourceInput(
                value=self.initial,
                placeholder="https://youtu.be/…  or  ~/talks/lecture.srt",
                suggester=PathSuggester(),
                choices=path_completions,
                id="add-input",
            )
            yield Static("", id="add-choices")
            yield SafeDirectoryTree(self._browser_root(), id="add-browser")
            with Horizontal(id="add-progress"):
                yield LoadingIndicator(id="add-spinner")
                yield Static("", id="add-progress-label")
            yield Static(
                Text("Enter add · Tab complete path · Ctrl+O browse · Esc cancel"),
                id="add-keys",
            )

    def on_mount(self) -> None:
        self.query_one("#add-browser").display = False
        self.query_one("#add-choices").display = False
        self._set_busy(None)
        self.set_focus(self.query_one("#add-input", Input))

    def _browser_root(self) -> Path:
        typed = self.initial.strip()
        if typed:
            candidate = Path(typed).expanduser()
            if candidate.is_dir():
                return candidate
            if candidate.parent.is_dir():
                return candidate.parent
        return Path.cwd()

    @on(CompletingInput.Choices, "#add-input")
    def _show_choices(self, event: CompletingInput.Choices) -> None:
        """Several files match: list their names, the one in the input in bold."""
        line = Text("Several match (Tab cycles): ", style="dim")
        for index, choice in enumerate(event.choices[:MAX_CHOICES_SHOWN]):
            name = os.path.basename(choice.rstrip("/")) + ("/" if choice.endswith("/") else "")
            line.append(inert_line(name), style="bold reverse" if index == event.index else "")
            line.append("  ")
        if len(event.choices) > MAX_CHOICES_SHOWN:
            line.append(f"… {len(event.choices) - MAX_CHOICES_SHOWN} more", style="dim")
        self._choices_shown = list(event.choices)
        choices = self.query_one("#add-choices", Static)
        choices.update(line)
        choices.display = True

    @on(Input.Changed, "#add-input")
    def _hide_choices_when_typing(self, event: Input.Changed) -> None:
        """The list stays while Tab walks through it, and goes once the learner types."""
        shown = self._choices_shown
        if shown and event.value not in shown and event.value != shared_prefix(shown):
            self._choices_shown = []
            self.query_one("#add-choices", Static).display = False

    # -- progress state ----------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._pending is not None

    def _set_busy(self, message: str | None) -> None:
        """Show the spinner with a message, or hide it (None)."""
        progress = self.query_one("#add-progress")
        progress.display = message is not None
        self.query_one("#add-progress-label", Static).update(Text(message or ""))
        self.query_one("#add-input", Input).disabled = message is not None

    # -- actions -------------------------------------------------------------------

    @on(Input.Submitted, "#add-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            self.notify(
                "Type a YouTube URL or id, or a file path.", severity="warning", markup=False
            )
            return
        if self.busy:
            return
        existing = self._already_stored(text)
        if existing is not None:
            self.dismiss(existing)
            return
        self._pending = text
        kind = import_kind(text)
        if kind == "media":
            self._set_busy("Transcribing on this computer (loading the model)…")
        elif kind in ("file", "missing file"):
            self._set_busy("Reading file…")
        else:
            self._set_busy("Fetching transcript…")
        self._worker = self.fetch(text)

    def _already_stored(self, text: str) -> AddOutcome | None:
        """A video already in the library is selected, not fetched again (no network)."""
        from core.importer import stored_video

        source_id = stored_video(ponder(self).library, text)
        source = ponder(self).library.source(source_id) if source_id is not None else None
        if source is None:
            return None
        return AddOutcome(source_id, source.title, existed=True)

    @work(thread=True, exclusive=True, group="import", exit_on_error=False)
    def fetch(self, text: str) -> Any:
        """Fetch, read or transcribe (no database access off the UI thread)."""
        from core.importer import import_source
        from core.transcription import ProgressClock

        worker = get_current_worker()
        clock = ProgressClock()

        def progress(done: float, total: float) -> None:
            if not worker.is_cancelled:
                self.post_message(TranscribeProgress(worker, done, total, clock.eta(done, total)))

        config = ponder(self).config
        return import_source(
            text,
            config=config,
            whisper_model=getattr(config, "whisper_model", None),
            on_progress=progress,
            should_cancel=lambda: worker.is_cancelled,
            on_note=lambda line: self.post_message(TranscribeNote(line)),
        )

    @on(TranscribeNote)
    def _transcribe_note(self, event: TranscribeNote) -> None:
        event.stop()
        self.notify(inert_line(event.line), markup=False)

    @on(TranscribeProgress)
    def _transcribe_progress(self, event: TranscribeProgress) -> None:
        from core.transcription import progress_text

        event.stop()
        if self._pending is None or event.worker is not self._worker:
            return  # cancelled: a late message from the stopping worker
        line = progress_text(event.done, event.total, event.eta, width=12)
        self.query_one("#add-progress-label", Static).update(Text(f"Transcribing {line}"))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._worker or self._pending is None:
            return
        state = event.state
        if state == WorkerState.SUCCESS:
            self._pending = None
            self._store(event.worker.result)
        elif state == WorkerState.ERROR:
            self._pending = None
            self._set_busy(None)
            self.set_focus(self.query_one("#add-input", Input))
            self.notify(_error_message(event.worker.error), severity="error", markup=False)

    def _store(self, transcript: Any) -> None:
        try:
            result = ponder(self).library.add(transcript)
        except Exception as error:  # a full disk or a locked database: say so, keep the input
            self._set_busy(None)
            self.notify(f"Could not store the transcript: {error}", severity="error", markup=False)
            return
        source = ponder(self).library.source(result.source_id)
        title = source.title if source is not None else transcript.source.title
        self.dismiss(AddOutcome(result.source_id, title, result.existed))

    def action_cancel(self) -> None:
        if self.busy:
            self._pending = None
            self.workers.cancel_group(self, "import")
            self._set_busy(None)
            self.set_focus(self.query_one("#add-input", Input))
            self.notify("Import cancelled; nothing was added.", markup=False)
            return
        browser = self.query_one("#add-browser", DirectoryTree)
        if browser.display:
            browser.display = False
            self.set_focus(self.query_one("#add-input", Input))
            return
        self.dismiss(None)

    def action_toggle_browser(self) -> None:
        if self.busy:
            return
        browser = self.query_one("#add-browser", DirectoryTree)
        browser.display = not browser.display
        if browser.display:
            typed = self.query_one("#add-input", Input).value.strip()
            if typed:
                root = Path(typed).expanduser()
                root = root if root.is_dir() else root.parent
                if root.is_dir() and root != Path(browser.path):
                    browser.path = root
            self.set_focus(browser)
        else:
            self.set_focus(self.query_one("#add-input", Input))

    @on(DirectoryTree.FileSelected, "#add-browser")
    def _file_picked(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        field = self.query_one("#add-input", Input)
        field.value = str(event.path)
        field.cursor_position = len(field.value)
        event.control.display = False
        self.set_focus(field)


def _error_message(error: BaseException | None) -> str:
    """One readable line for the notification (ImportFailed already is one)."""
    if error is None:
        return "The import failed."
    try:
        from core.importer import ImportFailed
    except ImportError:  # pragma: no cover - the importer ships with Ponder
        ImportFailed = ()  # type: ignore[assignment]
    if isinstance(error, ImportFailed):
        return inert_line(str(error))
    return inert_line(f"Could not add it: {error}")
