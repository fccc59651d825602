"""Ask about this card: a short chat with Claude about a card, over the review.

`CardChatScreen(view)` is a modal the review screen opens with `a` once the answer is
shown. It reuses the study screen's chat pane (`tui.widgets.chat.ChatPane`: the
same cached transcript document, streamed Markdown answers, citation links, drafts,
retry, Esc stops) through a small subclass, `CardChatPane`, which

- opens the note's own conversation instead of the source's latest: questions about a
  note go to one conversation of its source transcript, titled `Card: <front>`, created
  with the first question and remembered in `note_chats` (`decks.recall_mode`), so
  asking about the same card another day continues it, and the study screen lists it
  with the source's other conversations;
- sends the card with the first question: its front and back in the question text, and
  its source passage as the question's focus (`Focus`, shown as "About the passage
  [..]"), so Claude reads the passage in the context of the whole talk;
- puts a long transcript's excerpt around the card's passage (not the study cursor).

Esc closes the modal (while an answer streams, the first Esc stops it, as in the study
chat); the review underneath is untouched. A citation link shows the cited lines at the
top of the modal. Cards typed by hand or whose transcript was deleted have nothing to
ground a chat in: the review screen says so instead of opening this.

Card text, passages and model output are untrusted: plain `Content`, Markdown fed inert
text (the pane does that), never markup.
"""

from __future__ import annotations

import sqlite3
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from core.chat import service
from core.chat.models import Focus
from core.models import Transcript
from core.textsafe import inert, inert_line
from decks.models import CardView
from decks.passage import card_focus, card_texts
from decks.recall_mode import link_note_conversation, note_conversation
from tui.context import ponder
from tui.widgets.chat import ChatPane, CitationSelected
from tui.widgets.footer import CoalescingFooter

TITLE_PREFIX = "Card: "
CARD_INTRO = (
    "Ask Claude about this card: it reads the card, its passage (above) and the whole "
    "talk, and cites the transcript. Enter sends, ctrl+j adds a line, Esc goes back to the "
    "review where you left it."
)
PREVIEW_CHARS = 160


def first_question(front: str, back: str, question: str) -> str:
    """The first question of a card conversation carries the card itself."""
    return f"About my flashcard.\nQuestion: {front.strip()}\nAnswer: {back.strip()}\n\n{question}"


def shorten(text: str, limit: int = PREVIEW_CHARS) -> str:
    line = inert_line(text)
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


class CardChatPane(ChatPane):
    """The study chat pane, bound to one note's conversation and passage."""

    def __init__(
        self,
        source_id: int,
        *,
        transcript: Transcript,
        note_id: int,
        front: str,
        back: str,
        focus: Focus | None,
        conversation_id: int | None = None,
    ) -> None:
        # A transcript over the token budget is cut around the card's passage.
        cursor = None if focus is None else focus.first_segment
        super().__init__(source_id, transcript=transcript, cursor_segment=cursor, id="chat")
        self.note_id = note_id
        self.front = front
        self.back = back
        self.card_focus = focus
        self._card_conversation = conversation_id

    def on_mount(self, event: events.Mount) -> None:
        # Replaces ChatPane.on_mount, which opens the source's latest conversation.
        event.prevent_default()
        self.query_one("#chat-intro", Static).update(Content(CARD_INTRO))
        self.input.placeholder = Content("Ask about this card…")
        self.conversation_id = self._card_conversation
        self.sync()
        self._key_hint()
        if self._views:
            self.log_view.anchor()
        self.focus_input()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "conversations":  # this pane stays on the card's conversation
            return False
        return super().check_action(action, parameters)

    def _refresh_title(self) -> None:
        self.query_one("#chat-title", Static).update(
            Content(f"Chat with Claude · {TITLE_PREFIX}{shorten(self.front, 60)}")
        )

    def refresh_usage(self) -> None:
        if self.conversation_id is None:
            self.query_one("#chat-usage", Static).update(
                Content("No question yet: the first one starts this card's conversation")
            )
            return
        super().refresh_usage()

    @property
    def has_questions(self) -> bool:
        if self.conversation_id is None:
            return False
        return any(m.role == "user" for m in self.store.messages(self.conversation_id))

    def send(self, question: str, focus: Focus | None = None) -> None:
        """The first question creates the note's conversation and carries the card."""
        if self.is_streaming:
            return
        if self.conversation_id is None:
            try:
                title = TITLE_PREFIX + self.front
                conversation_id = service.start_conversation(self.store, self.source_id, title)
                link_note_conversation(ponder(self).library.conn, self.note_id, conversation_id)
            except sqlite3.Error as error:
                self.set_status(f"Could not start the conversation: {error}", "error")
                return
            self.conversation_id = conversation_id
        if not self.has_questions:
            question = first_question(self.front, self.back, question)
            focus = focus or self.card_focus
        super().send(question, focus)


class CardChatScreen(ModalScreen[None]):
    """A chat about one card, grounded in its source transcript; Esc goes back."""

    HELP_GROUP = "Ask about this card"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back to review", id="card_chat.close"),
    ]

    DEFAULT_CSS = """
    CardChatScreen #card-chat-dialog {
        width: 110; max-width: 98%; height: 92%; padding: 0 1;
        border: round $primary; border-title-color: $text; border-title-style: bold;
        border-subtitle-color: $text-muted; background: $surface;
    }
    CardChatScreen #card-chat-card { height: auto; max-height: 4; color: $text; }
    CardChatScreen #card-chat-passage-box { height: auto; max-height: 5; }
    CardChatScreen #card-chat-passage { height: auto; color: $text-muted; }
    CardChatScreen #card-chat-cited {
        height: auto; max-height: 4; color: $text-accent; display: none;
    }
    CardChatScreen #card-chat-cited.-shown { display: block; }
    CardChatScreen CardChatPane { height: 1fr; }
    """

    def __init__(self, view: CardView, transcript: Transcript) -> None:
        super().__init__()
        self.view = view
        self.transcript = transcript
        self.front, self.back = card_texts(view)
        self.focus_passage = card_focus(view, transcript)

    def compose(self) -> ComposeResult:
        source_id = self.transcript.source.id
        assert source_id is not None
        try:
            conversation_id = note_conversation(ponder(self).library.conn, self.view.note.id)
        except sqlite3.Error:
            conversation_id = None
        with Vertical(id="card-chat-dialog") as dialog:
            dialog.border_title = "Ask about this card"
            dialog.border_subtitle = "Esc back to the review"
            yield Static(
                Content.assemble(
                    ("Q ", "bold $text-accent"),
                    shorten(self.front),
                    ("   A ", "bold $text-accent"),
                    shorten(self.back),
                ),
                id="card-chat-card",
            )
            with VerticalScroll(id="card-chat-passage-box", can_focus=False):
                yield Static(self._passage_content(), id="card-chat-passage")
            yield Static(Content(""), id="card-chat-cited")
            yield CardChatPane(
                source_id,
                transcript=self.transcript,
                note_id=self.view.note.id,
                front=self.front,
                back=self.back,
                focus=self.focus_passage,
                conversation_id=conversation_id,
            )
        yield CoalescingFooter(compact=True)

    def _passage_content(self) -> Content:
        """Where the card comes from and the passage's words (the intro's "above")."""
        title = shorten(self.transcript.source.title, 60)
        focus = self.focus_passage
        if focus is None:
            return Content(f"From “{title}”")
        where = self.span_label(focus.first_segment, focus.last_segment)
        return Content.assemble(
            (f"From “{title}” {where}", "bold"), "\n", (inert(focus.text), "$text")
        )

    def span_label(self, first: int, last: int) -> str:
        segments = self.transcript.segments
        if not 0 <= first <= last < len(segments):
            return ""
        if not self.transcript.timed:
            return f"¶{first + 1}" if first == last else f"¶{first + 1}–¶{last + 1}"
        from core.models import format_timestamp

        start = format_timestamp(segments[first].start)
        end = format_timestamp(segments[last].end or segments[last].start)
        return f"[{start}–{end}]"

    @property
    def pane(self) -> CardChatPane:
        return self.query_one(CardChatPane)

    @on(CitationSelected)
    def _show_cited(self, event: CitationSelected) -> None:
        """A citation link: the cited lines at the top (the review stays where it is)."""
        event.stop()
        segments = self.transcript.segments
        first = max(0, event.first_segment)
        last = min(len(segments) - 1, event.last_segment)
        if last < first:
            return
        text = " ".join(inert(s.text.strip()) for s in segments[first : last + 1])
        line = self.query_one("#card-chat-cited", Static)
        line.update(
            Content.assemble((self.span_label(first, last) + " ", "bold"), shorten(text, 400))
        )
        line.add_class("-shown")

    def action_close(self) -> None:
        self.dismiss(None)


__all__ = ["CardChatPane", "CardChatScreen", "first_question"]
