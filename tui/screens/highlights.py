"""The highlights of one transcript: Enter jumps to one, d deletes it, N edits its note.

Changes are written to the library at once; the dismiss value is the highlight to jump
to (or None), and the caller reloads its highlights either way.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from core.models import Highlight, Transcript, format_timestamp
from core.textsafe import inert_line
from tui.context import ponder
from tui.screens.prompt import PromptScreen

NOTE_MAX = 500


def passage_text(transcript: Transcript, highlight: Highlight) -> str:
    """The highlighted words (stored text, segments joined with spaces)."""
    segments = transcript.segments[highlight.first_segment : highlight.last_segment + 1]
    parts = [segment.text for segment in segments]
    if not parts:
        return ""
    if highlight.end_char is not None:
        parts[-1] = parts[-1][: highlight.end_char]
    if highlight.start_char:
        parts[0] = parts[0][highlight.start_char :]
    return " ".join(part.strip() for part in parts)


def highlight_label(transcript: Transcript, highlight: Highlight, width: int = 90) -> Text:
    """`[00:01:02] the passage…  — note` as plain styled text."""
    segments = transcript.segments
    text = Text(no_wrap=True, overflow="ellipsis")
    if 0 <= highlight.first_segment < len(segments):
        start = segments[highlight.first_segment].start
        stamp = format_timestamp(start) if transcript.timed else f"¶{highlight.first_segment + 1}"
    else:
        stamp = "?"
    text.append(f"[{stamp}] ", style="dim")
    passage = inert_line(passage_text(transcript, highlight))
    if len(passage) > width:
        passage = passage[: width - 1].rstrip() + "…"
    text.append(passage)
    if highlight.note:
        text.append("  — ", style="dim")
        text.append(inert_line(highlight.note), style="italic")
    return text


class HighlightsScreen(ModalScreen["Highlight | None"]):
    """A list of this transcript's highlights."""

    HELP_GROUP = "Highlights"

    BINDINGS: list[BindingType] = [
        Binding("escape,q", "close", "Close", id="highlights.close"),
        Binding("d,delete", "delete", "Delete", id="highlights.delete"),
        Binding("N,n", "note", "Note", id="highlights.note"),
    ]

    DEFAULT_CSS = """
    HighlightsScreen { align: center middle; }
    HighlightsScreen > #highlights-dialog {
        width: 90%;
        max-width: 110;
        height: 80%;
        padding: 0 1;
        background: $panel;
        border: round $primary;
    }
    HighlightsScreen #highlights-list { height: 1fr; border: none; background: $panel; }
    HighlightsScreen #highlights-empty { height: 1fr; color: $text-muted; padding: 1 0; }
    HighlightsScreen #highlights-hint { color: $text-muted; }
    """

    def __init__(self, transcript: Transcript, highlights: list[Highlight]) -> None:
        super().__init__()
        self.transcript = transcript
        self.highlights = list(highlights)

    def compose(self) -> ComposeResult:
        with Vertical(id="highlights-dialog") as dialog:
            dialog.border_title = f"Highlights · {len(self.highlights)}"
            yield OptionList(*self._options(), id="highlights-list")
            yield Static(
                Content("No highlights yet: select a passage (v) and press h."),
                id="highlights-empty",
            )
            yield Static(
                Content("Enter jump · d delete · N note · Esc close"), id="highlights-hint"
            )

    def on_mount(self) -> None:
        self._sync_empty()
        self.option_list.focus()

    @property
    def option_list(self) -> OptionList:
        return self.query_one("#highlights-list", OptionList)

    def _options(self) -> list[Option]:
        return [
            Option(highlight_label(self.transcript, item), id=str(item.id))
            for item in self.highlights
        ]

    def _sync_empty(self) -> None:
        empty = not self.highlights
        self.option_list.display = not empty
        self.query_one("#highlights-empty").display = empty
        self.query_one("#highlights-dialog").border_title = f"Highlights · {len(self.highlights)}"

    def _current(self) -> Highlight | None:
        index = self.option_list.highlighted
        if index is None or not 0 <= index < len(self.highlights):
            return None
        return self.highlights[index]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.highlights):
            self.dismiss(self.highlights[event.option_index])

    def action_close(self) -> None:
        self.dismiss(None)

    def action_delete(self) -> None:
        highlight = self._current()
        if highlight is None or highlight.id is None:
            return
        index = self.highlights.index(highlight)
        ponder(self).library.remove_highlight(highlight.id)
        self.highlights.pop(index)
        self.option_list.remove_option_at_index(index)
        self._sync_empty()
        self.notify("Highlight deleted", markup=False)

    def action_note(self) -> None:
        highlight = self._current()
        if highlight is None or highlight.id is None:
            return

        def save(note: str | None) -> None:
            if note is None or highlight.id is None:
                return
            note = note.strip()
            ponder(self).library.set_highlight_note(highlight.id, note)
            index = self.highlights.index(highlight)
            updated = Highlight(
                source_id=highlight.source_id,
                first_segment=highlight.first_segment,
                last_segment=highlight.last_segment,
                start_char=highlight.start_char,
                end_char=highlight.end_char,
                note=note,
                created_at=highlight.created_at,
                id=highlight.id,
            )
            self.highlights[index] = updated
            self.option_list.replace_option_prompt_at_index(
                index, highlight_label(self.transcript, updated)
            )
            self.notify("Note saved" if note else "Note removed", markup=False)

        self.app.push_screen(
            PromptScreen(
                "Note for this highlight",
                value=highlight.note,
                placeholder="a short note (empty removes it)",
                max_length=NOTE_MAX,
            ),
            save,
        )
