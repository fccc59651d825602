"""The widgets of one conversation turn: the learner's question and Claude's answer.

A message widget knows only its own message (and what the pane passes down: the passage
label, prices, whether an answer is streaming). What it cannot do itself (delete a turn,
answer again, edit and resend, move the focus along the conversation) it asks for with a
message the chat pane handles.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from core.chat.cost import estimate_cost, format_cost
from core.chat.models import ChatMessage, Citation, Usage, render_with_citations
from core.textsafe import inert, inert_line
from tui.widgets.answer_markdown import AnswerMarkdown
from tui.widgets.chat.citations import CitationRow, answer_markdown
from tui.widgets.chat.feed import MarkdownFeed, show_text
from tui.widgets.one_layout import OneLayoutPerResize


def usage_text(usage: Usage) -> str:
    return (
        f"in {usage.input_tokens:,} · out {usage.output_tokens:,} · "
        f"cache write {usage.cache_write_tokens:,} · cache read {usage.cache_read_tokens:,}"
    )


class MessageView(OneLayoutPerResize, Vertical, can_focus=True):
    """A question or an answer; focus it (Tab / shift+Tab, j/k) to copy, delete, edit."""

    HELP_GROUP = "Chat message"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "copy", "Copy", id="chat.message.copy"),
        Binding("x,delete", "delete_turn", "Delete turn", id="chat.message.delete"),
        Binding("r", "regenerate", "Regenerate", id="chat.message.regenerate"),
        Binding("k,up", "sibling(-1)", "Previous message", show=False),
        Binding("j,down", "sibling(1)", "Next message", show=False),
        Binding("enter", "to_input", "Type", show=False),
    ]

    DEFAULT_CSS = """
    MessageView { height: auto; padding: 0 1; margin: 0 0 1 0; }
    MessageView:focus { background: $boost; border-left: outer $accent; padding-left: 0; }
    MessageView .message-meta { color: $text-muted; height: auto; }
    MessageView .message-meta.-stopped, MessageView .message-meta.-draft { color: $warning; }
    MessageView .message-meta.-error { color: $error; }
    """

    class DeleteTurn(Message):
        """Delete this message's turn (the question and its answer)."""

        def __init__(self, message_id: int) -> None:
            super().__init__()
            self.message_id = message_id

    class Regenerate(Message):
        """Answer again from this message (dropping it, if an answer, and what follows)."""

        def __init__(self, message_id: int) -> None:
            super().__init__()
            self.message_id = message_id

    class Move(Message):
        """Move the focus `step` messages from `view` (past the last: to the input)."""

        def __init__(self, view: MessageView, step: int) -> None:
            super().__init__()
            self.view = view
            self.step = step

    class ToInput(Message):
        """Go to the question box."""

    def __init__(self, message: ChatMessage) -> None:
        super().__init__()
        self.message = message
        self.answering = False
        """An answer is streaming in the pane: no deleting, regenerating or editing."""
        # The status class sits on this one-line child: a class change on the message
        # itself would restyle every Markdown block of a long answer.
        self.meta = Static(Content(""), classes=f"message-meta -{message.status}")

    @property
    def status(self) -> str:
        return self.message.status

    @property
    def message_id(self) -> int:
        return self.message.id

    def update_message(self, message: ChatMessage) -> None:
        if message.status != self.message.status:
            self.meta.remove_class(f"-{self.message.status}")
            self.meta.add_class(f"-{message.status}")
        self.message = message

    def copy_text(self) -> str:
        return self.message.content

    def action_copy(self) -> None:
        text = inert(self.copy_text())
        if not text.strip():
            self.notify("Nothing to copy yet.", severity="warning", markup=False)
            return
        self.app.copy_to_clipboard(text)
        what = "answer" if self.message.role == "assistant" else "question"
        self.notify(f"Copied the {what} ({len(text)} characters).", markup=False)

    def action_delete_turn(self) -> None:
        self.post_message(self.DeleteTurn(self.message.id))

    def action_regenerate(self) -> None:
        self.post_message(self.Regenerate(self.message.id))

    def action_sibling(self, step: int) -> None:
        self.post_message(self.Move(self, step))

    def action_to_input(self) -> None:
        self.post_message(self.ToInput())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("delete_turn", "regenerate", "edit"):
            return not self.answering
        return True


class QuestionView(MessageView):
    """The learner's question (plain text, with the passage it is about)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "edit", "Edit & resend", id="chat.message.edit"),
    ]

    DEFAULT_CSS = """
    QuestionView { border-left: tall $primary; padding-left: 1; }
    QuestionView:focus { border-left: outer $accent; }
    QuestionView .question-text { height: auto; text-style: bold; }
    QuestionView .question-focus { height: auto; color: $text-muted; text-style: italic; }
    """

    class Edit(Message):
        """Put this question in the input to edit and resend it."""

        def __init__(self, message_id: int) -> None:
            super().__init__()
            self.message_id = message_id

    def __init__(self, message: ChatMessage, focus_label: str | None = None) -> None:
        super().__init__(message)
        self.focus_label = focus_label
        self.sending = False  # a draft on its way: not "not sent" (yet)

    def compose(self) -> ComposeResult:
        self.focus_line = Static(self._focus_content(), classes="question-focus")
        self.text_line = Static(self._text_content(), classes="question-text")
        self.meta.update(self._meta_content())
        yield self.focus_line
        yield self.text_line
        yield self.meta

    def _focus_content(self) -> Content:
        focus = self.message.focus
        if focus is None:
            return Content("")
        passage = inert_line(focus.text)
        if len(passage) > 160:
            passage = passage[:159].rstrip() + "…"
        where = f" {self.focus_label}" if self.focus_label else ""
        return Content(f"About the passage{where}: “{passage}”")

    def _text_content(self) -> Content:
        text = inert(self.message.content)
        if not text.strip() and self.message.focus is not None:
            text = "(explain this passage)"
        return Content(text)

    def _meta_content(self) -> Content:
        message = self.message
        if message.status != "draft" or self.sending:
            return Content("")
        reason = inert_line(message.error) if message.error else "not sent yet"
        return Content(f"Draft, not sent: {reason} · ctrl+r sends it")

    def on_mount(self) -> None:
        self._refresh_parts()

    def _refresh_parts(self) -> None:
        self.focus_line.display = self.message.focus is not None
        self.meta.display = self.message.status == "draft" and not self.sending

    def set_sending(self, sending: bool) -> None:
        if sending != self.sending:
            self.sending = sending
            if self.is_mounted:
                show_text(self.meta, self._meta_content())
                self._refresh_parts()

    def update_message(self, message: ChatMessage) -> None:
        changed = (message.content, message.status, message.error, message.focus) != (
            self.message.content,
            self.message.status,
            self.message.error,
            self.message.focus,
        )
        super().update_message(message)
        if changed and self.is_mounted:
            show_text(self.focus_line, self._focus_content())
            show_text(self.text_line, self._text_content())
            show_text(self.meta, self._meta_content())
            self._refresh_parts()

    def action_edit(self) -> None:
        self.post_message(self.Edit(self.message.id))


class AnswerView(MessageView):
    """Claude's answer: Markdown, then its citation links, then usage and status."""

    DEFAULT_CSS = """
    AnswerView Markdown { margin: 0; padding: 0; background: transparent; layout: stream; }
    AnswerView MarkdownParagraph { margin: 0 0 1 0; }
    AnswerView .answer-waiting { color: $text-muted; height: auto; }
    """

    def __init__(self, message: ChatMessage, prices: dict[str, dict[str, float]]) -> None:
        super().__init__(message)
        self.prices = prices
        self.markdown = AnswerMarkdown(open_links=False, classes="answer-markdown")
        self.citation_row = CitationRow()
        self.rendered: tuple[str, int] | None = None  # (content, citation count) shown
        self.feed: MarkdownFeed | None = None

    def compose(self) -> ComposeResult:
        yield self.markdown
        yield self.citation_row
        yield self.meta

    async def on_mount(self) -> None:
        if self.message.status != "streaming" or self.message.content:
            await self.show_stored()
        self.refresh_meta()

    async def show_stored(self) -> None:
        """Render the stored answer in one go (a reopened or finished-elsewhere answer)."""
        message = self.message
        self.rendered = (message.content, len(message.citations))
        await self.markdown.update(answer_markdown(message.content, message.citations))
        self.citation_row.set_citations(message.citations)

    def start_feed(self) -> MarkdownFeed:
        self.feed = MarkdownFeed(self.markdown)
        return self.feed

    def add_citation(self, citation: Citation) -> None:
        self.citation_row.set_citations([*self.citation_row_citations(), citation])

    def citation_row_citations(self) -> list[Citation]:
        return [link.citation for link in self.citation_row.links]

    def copy_text(self) -> str:
        return render_with_citations(self.message.content, self.message.citations)

    def update_message(self, message: ChatMessage) -> None:
        super().update_message(message)
        if self.is_mounted:
            shown = (message.content, len(message.citations))
            # While streaming, the feed (or nothing yet) shows the text: never re-render.
            if message.status != "streaming" and self.rendered != shown:
                feed = self.feed
                if feed is not None and (feed.text_so_far, len(feed.citations)) == shown:
                    self.rendered = shown
                else:
                    self.run_worker(
                        self.show_stored(), group="render", exclusive=True, exit_on_error=False
                    )
            self.refresh_meta()

    def refresh_meta(self) -> None:
        message = self.message
        parts: list[str] = []
        if message.model:
            parts.append(inert_line(message.model))
        usage = message.usage
        if usage != Usage():
            parts.append(usage_text(usage))
            cost = estimate_cost(usage, message.model or "", self.prices)
            parts.append(f"~{format_cost(cost)}")
        if message.status == "streaming" and not message.id:
            parts.append("waiting for Claude… (Esc stops)")
        elif message.status == "streaming":
            parts.append("answering… (Esc stops)")
        elif message.status == "stopped":
            parts.append("■ stopped: partial answer kept (r answers again)")
        elif message.status == "error":
            reason = inert_line(message.error or "failed")
            parts.append(f"⚠ cut off: {reason} (ctrl+r retries)")
        show_text(self.meta, Content(" · ".join(parts)))


__all__ = ["AnswerView", "MessageView", "QuestionView", "usage_text"]
