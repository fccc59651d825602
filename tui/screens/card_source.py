"""Where a card came from: its passage with a few segments before and after.

`CardSourceScreen(ref)` shows the card's segment range emphasised, `CONTEXT` segments
either side, each with its timestamp. `o` opens the video at the passage (YouTube
transcripts), Enter asks the caller to open the transcript there: the screen dismisses
with `(source_id, first_segment)`; Esc/q/s close it with None.

Transcript text and titles are untrusted: plain `Content`, control characters made
visible.
"""

from __future__ import annotations

import sqlite3

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from core.models import format_timestamp
from core.textsafe import inert, inert_line
from decks.models import SourceRef
from decks.passage import CONTEXT, Passage, load_passage
from tui.context import ponder
from tui.media import can_open, open_at, say_no_video

MARK = "▌ "
BLANK = "  "


def passage_content(passage: Passage) -> Content:
    """Each segment on its own line(s): timestamp, speaker, text; the card's range bold."""
    timed = any(segment.start is not None for _index, segment in passage.segments)
    pieces: list[str | tuple[str, str]] = []
    for number, (index, segment) in enumerate(passage.segments):
        inside = passage.first <= index <= passage.last
        if number:
            pieces.append("\n")
        pieces.append((MARK, "bold $text-accent") if inside else BLANK)
        if timed:
            stamp = format_timestamp(segment.start, always_hours=False)
            pieces.append((f"{stamp:>8}  ", "bold" if inside else "dim"))
        if segment.speaker:
            pieces.append((f"{inert_line(segment.speaker)}: ", "italic"))
        text = inert(segment.text)
        pieces.append((text, "bold") if inside else (text, "$text-muted"))
    return Content.assemble(*pieces)


class CardSourceScreen(ModalScreen[tuple[int, int] | None]):
    """The card's passage in its transcript."""

    HELP_GROUP = "Source"

    BINDINGS: list[BindingType] = [
        Binding("escape,q,s", "close", "Close", id="card_source.close"),
        Binding("o", "open_video", "Open video", id="card_source.open_video"),
        Binding("o", "no_video", "No video", show=False, id="card_source.no_video"),
        Binding("enter", "open_transcript", "Open transcript", id="card_source.open_transcript"),
        Binding("question_mark", "help", "Help", id="card_source.help"),
    ]

    DEFAULT_CSS = """
    CardSourceScreen #card-source-dialog { width: 96; max-width: 95%; }
    CardSourceScreen #card-source-title { text-style: bold; margin-bottom: 1; }
    CardSourceScreen #card-source-body { height: auto; max-height: 20; }
    CardSourceScreen #card-source-hint { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, ref: SourceRef, context: int = CONTEXT) -> None:
        super().__init__()
        self.ref = ref
        self.context = context
        self.passage: Passage | None = None

    def compose(self) -> ComposeResult:
        try:
            self.passage = load_passage(ponder(self).library, self.ref, self.context)
        except sqlite3.Error:
            self.passage = None
        passage = self.passage
        with Vertical(id="card-source-dialog", classes="dialog") as dialog:
            dialog.border_title = "Source"
            if passage is None:
                title = self.ref.source_title or "the transcript"
                yield Static(
                    Content(f"Source gone: “{inert_line(title)}” was deleted."),
                    id="card-source-title",
                )
                yield Static(Content("The card keeps working."), id="card-source-hint")
                return
            where = ""
            if passage.start_s is not None:
                where = f" · {format_timestamp(passage.start_s, always_hours=False)}"
            yield Static(Content(inert_line(passage.source.title) + where), id="card-source-title")
            with VerticalScroll(id="card-source-body"):
                yield Static(passage_content(passage), id="card-source-text")
            hints = ["Enter opens the transcript"]
            if self.has_media:
                hints.insert(0, "o opens the video here")
            hints.append("Esc closes")
            yield Static(Content(" · ".join(hints)), id="card-source-hint")

    @property
    def has_media(self) -> bool:
        """A YouTube video or a transcribed media file that `o` can open."""
        return self.passage is not None and can_open(self.passage.source)

    @property
    def text(self) -> str:
        """The passage as plain text (for tests)."""
        return "" if self.passage is None else passage_content(self.passage).plain

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_video":
            return self.has_media
        if action == "no_video":
            return not self.has_media
        if action == "open_transcript":
            return self.passage is not None
        return True

    def action_open_video(self) -> None:
        if self.passage is None or not self.has_media:
            say_no_video(self)
            return
        start = self.ref.start_s
        if start is None:
            start = self.passage.start_s
        open_at(self, self.passage.source, start)

    def action_no_video(self) -> None:
        say_no_video(self)

    def action_open_transcript(self) -> None:
        if self.passage is not None and self.ref.source_id is not None:
            self.dismiss((self.ref.source_id, self.passage.first))

    def action_close(self) -> None:
        self.dismiss(None)

    def action_help(self) -> None:
        from tui.screens.help import show_help

        show_help(self)
