"""The chat pane of the study screen: a conversation with Claude about the transcript.

Layout (top to bottom): the conversation title, the message list (questions as plain
text, answers as Markdown streamed through `Markdown.get_stream`, each answer followed by
its citation links and a usage line), a status line, the usage/cost line, an optional
"about this passage" line, and the input (Enter sends, shift+enter / ctrl+j newline).

Streaming runs in an async worker (`group="chat"`, exclusive) that drives
`core.chat.service.ask`; the service stores the question, the answer as it arrives and
its final state, so the pane only renders. Esc cancels the worker: the service keeps the
partial answer as `stopped`. anthropic is imported by `core.chat.client` inside the
worker's first request, never when this module loads.

Model output is made inert (`core.textsafe.inert`) before it reaches the Markdown
renderer and is never parsed as Rich/Textual markup. Citations become Markdown links
with the `ponder-cite:` scheme inside the answer (clickable) and focusable
`CitationLink`s under it (Tab to one, Enter); both post `ChatPane.CitationSelected`.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import time
from contextlib import aclosing, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widget import AwaitMount, Widget
from textual.widgets import Markdown, Static, TextArea

from core.chat.cost import estimate_cost, format_cost
from core.chat.errors import ChatError, NoApiKey
from core.chat.models import (
    ChatMessage,
    Citation,
    CitationEvent,
    Done,
    Focus,
    Notice,
    Started,
    TextDelta,
    Usage,
    render_with_citations,
    unique_citations,
)
from core.chat.store import ConversationStore
from core.models import Transcript, format_timestamp
from core.textsafe import inert, inert_line
from tui.widgets.answer_markdown import AnswerMarkdown
from tui.widgets.one_layout import OneLayoutPerResize

if TYPE_CHECKING:
    from core.chat.client import ChatClient

CITE_SCHEME = "ponder-cite:"
INTRO = (
    "Chat with Claude about this transcript. Type a question below and press Enter "
    "(shift+enter or ctrl+j for a new line). Answers cite the transcript: activate a "
    "[hh:mm:ss] link to jump there."
)
IDLE_HINT = "Enter sends · ctrl+j new line · Tab to messages"
LINK_WIDTH = 12  # "[00:12:34]" plus a space


_sdk_ready = False


async def load_sdk_once() -> None:
    """Import the anthropic SDK (first question only) in a thread, then freeze the heap.

    The import takes about a second, so it runs off the event loop while the pane keeps
    painting. The SDK, the app and the library are then a big long-lived heap that every
    full collection would rescan: measured here, full collections every quarter second
    or so cost 20-170 ms each in the middle of a streamed answer. `gc.collect()` then
    `gc.freeze()` once makes that heap permanent, so collections only look at what the
    session creates afterwards.
    """
    global _sdk_ready
    if _sdk_ready:
        return
    await asyncio.to_thread(importlib.import_module, "anthropic")
    _sdk_ready = True
    gc.collect()
    gc.freeze()


class _DeferFullCollections:
    """No full garbage collections while an answer streams (restored once it is painted).

    After `load_sdk_once` the heap the session builds keeps growing (widgets, messages,
    SQLite rows), and a full collection of it took 50-150 ms, about every half second of
    a paced stream (measured: 17-22 per 5-second answer): each one froze the screen past
    the 100 ms target. Young collections still run; the full one is merely postponed
    until the final answer has been painted (then one collection, 0.1-0.3 s, while the
    learner reads; an answer's garbage is a few MB at most).
    """

    def __init__(self) -> None:
        self.saved: tuple[int, int, int] | None = None

    def start(self) -> None:
        if self.saved is None:
            self.saved = gc.get_threshold()
            young, middle, _ = self.saved
            gc.set_threshold(young, middle, 1_000_000_000)

    def end(self) -> None:
        if self.saved is not None:
            gc.set_threshold(*self.saved)
            self.saved = None


defer_full_collections = _DeferFullCollections()


def show_text(widget: Static, content: Content) -> None:
    """Update a text widget only if its text changed, and without a layout pass when it
    stays one line that fits: each layout pass arranges the whole screen (5-15 ms), and a
    streamed answer changes its status lines several times in its first 100 ms."""
    current = widget.content
    if isinstance(current, Content) and current == content and current.spans == content.spans:
        return
    width = widget.content_region.width
    one_line = (
        isinstance(current, Content)
        and widget.is_mounted
        and width > 0
        and "\n" not in content.plain
        and content.cell_length <= width
        and "\n" not in current.plain
        and 0 < current.cell_length <= width
    )
    widget.update(content, layout=not one_line)


# -- citations as Markdown links -----------------------------------------------------------


def citation_href(citation: Citation) -> str:
    return f"{CITE_SCHEME}{citation.first_segment}-{citation.last_segment}"


def parse_citation_href(href: str) -> tuple[int, int] | None:
    """(first, last) segment of a `ponder-cite:F-L` link, or None for any other link."""
    if not href.startswith(CITE_SCHEME):
        return None
    first, _, last = href[len(CITE_SCHEME) :].partition("-")
    try:
        return int(first), int(last or first)
    except ValueError:
        return None


def citation_link_markdown(citation: Citation) -> str:
    """` [\\[00:12:34\\]](ponder-cite:F-L)`: a clickable timestamp after a cited span."""
    label = citation.label.replace("\\", "").replace("[", "").replace("]", "")
    return f" [\\[{label}\\]]({citation_href(citation)})"


def answer_markdown(text: str, citations: list[Citation]) -> str:
    """A stored answer as the Markdown the stream would have produced: inert text with a
    link after each cited span (the same places `render_with_citations` uses)."""
    inserts: dict[int, list[str]] = {}
    for citation in citations:
        position = min(max(citation.end, 0), len(text))
        inserts.setdefault(position, []).append(citation_link_markdown(citation))
    pieces: list[str] = []
    previous = 0
    for position in sorted(inserts):
        pieces.append(inert(text[previous:position]))
        pieces.extend(inserts[position])
        previous = position
    pieces.append(inert(text[previous:]))
    return "".join(pieces)


def usage_text(usage: Usage) -> str:
    return (
        f"in {usage.input_tokens:,} · out {usage.output_tokens:,} · "
        f"cache write {usage.cache_write_tokens:,} · cache read {usage.cache_read_tokens:,}"
    )


class MarkdownFeed:
    """Appends streamed text and citation links to a Markdown widget (never re-renders).

    Fragments go through `Markdown.get_stream` (an incremental parse of the last block per
    write), batched by time: every screen update of a growing answer costs a layout and a
    repaint of the pane, so the feed writes at most every `SLOW_INTERVAL` (40 updates a
    second: text read as it arrives stays well under 100 ms behind) and, when text
    arrives faster than anyone reads (over `FAST_RATE` fragments a second since the last
    write), every `FAST_INTERVAL`, so a burst costs a few repaints instead of hundreds; a
    timer writes what is left when the stream pauses. `close()` writes the rest.
    """

    SLOW_INTERVAL = 0.025
    FAST_INTERVAL = 0.5
    FAST_RATE = 1000.0  # fragments a second since the last write

    def __init__(self, markdown: Markdown) -> None:
        self.markdown = markdown
        self._stream = Markdown.get_stream(markdown)
        self.parts: list[str] = []
        self.citations: list[Citation] = []
        self._buffer: list[str] = []
        self._last_write = time.monotonic()
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: asyncio.Task[None] | None = None
        self._closed = False

    async def text(self, fragment: str) -> None:
        self.parts.append(fragment)
        await self._add(inert(fragment))

    async def citation(self, citation: Citation) -> None:
        self.citations.append(citation)
        await self._add(citation_link_markdown(citation))

    @property
    def text_so_far(self) -> str:
        return "".join(self.parts)

    def _wait(self, now: float) -> float:
        """Seconds until the buffer is due to be written (0: now). Per fragment this is a
        subtraction and a comparison: a burst brings thousands of fragments a second."""
        elapsed = now - self._last_write
        if elapsed < self.SLOW_INTERVAL:
            return self.SLOW_INTERVAL - elapsed
        if len(self._buffer) > self.FAST_RATE * elapsed:
            return max(self.FAST_INTERVAL - elapsed, 0.0)
        return 0.0

    async def _add(self, markdown: str) -> None:
        if self._closed:
            return
        self._buffer.append(markdown)
        wait = self._wait(time.monotonic())
        if not wait:
            await self._write()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(wait, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if not self._buffer or self._closed:
            return
        wait = self._wait(time.monotonic())
        if wait:
            self._timer = asyncio.get_running_loop().call_later(wait, self._on_timer)
        else:
            self._flushing = asyncio.ensure_future(self._write())

    async def _write(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._buffer:
            return
        pending = "".join(self._buffer)
        self._buffer.clear()
        self._last_write = time.monotonic()
        await self._stream.write(pending)

    async def close(self) -> None:
        """Write what is pending, stop the stream, and return once the Markdown holds it
        all (so what follows, e.g. the pane's bookkeeping, comes after the final paint).
        Safe to call twice."""
        if self._closed:
            return
        await self._write()
        self._closed = True
        await self._stream.stop()
        # Stopping cancels the stream's task without waiting for an append it had begun;
        # appends hold the widget's lock in turn, so taking it waits for the last one.
        async with self.markdown.lock:
            pass


# -- the message widgets -----------------------------------------------------------------


class CitationLink(Static, can_focus=True):
    """A `[hh:mm:ss]` link: Enter or a click posts ChatPane.CitationSelected."""

    HELP_GROUP = "Citation link"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,space", "activate", "Jump to passage", id="chat.citation.jump"),
        Binding("right,l", "sibling(1)", "Next link", show=False),
        Binding("left,h", "sibling(-1)", "Previous link", show=False),
    ]

    DEFAULT_CSS = """
    CitationLink {
        width: auto;
        height: 1;
        color: $text-accent;
        text-style: underline;
    }
    CitationLink:hover { background: $boost; }
    CitationLink:focus { background: $accent; color: $text; text-style: bold; }
    """

    def __init__(self, citation: Citation) -> None:
        super().__init__(Content(citation.marker))
        self.citation = citation
        self.tooltip = inert_line(citation.cited_text)[:300] or None

    def action_activate(self) -> None:
        self.post_message(
            ChatPane.CitationSelected(self.citation.first_segment, self.citation.last_segment)
        )

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.action_activate()

    def action_sibling(self, step: int) -> None:
        siblings = self.parent.children if self.parent is not None else []
        links = [w for w in siblings if isinstance(w, CitationLink)]
        if self in links:
            links[(links.index(self) + step) % len(links)].focus()


class CitationRow(Grid):
    """The answer's citation links, wrapped into as many columns as fit."""

    DEFAULT_CSS = f"""
    CitationRow {{
        height: auto;
        grid-size: 3;
        grid-columns: {LINK_WIDTH};
        grid-rows: 1;
        display: none;
    }}
    CitationRow.-has-links {{ display: block; }}
    CitationRow .citation-label {{ color: $text-muted; width: auto; }}
    """

    def on_resize(self, event: events.Resize) -> None:
        self.styles.grid_size_columns = max(1, event.size.width // LINK_WIDTH)

    def set_citations(self, citations: list[Citation]) -> None:
        shown = {(link.citation.first_segment, link.citation.last_segment) for link in self.links}
        new: list[Widget] = []
        for citation in unique_citations(citations):
            if (citation.first_segment, citation.last_segment) not in shown:
                shown.add((citation.first_segment, citation.last_segment))
                new.append(CitationLink(citation))
        if new and not self.children:
            new.insert(0, Static(Content("Cited:"), classes="citation-label"))
        if new:
            self.mount_all(new)
        self.set_class(bool(shown), "-has-links")

    @property
    def links(self) -> list[CitationLink]:
        return [w for w in self.children if isinstance(w, CitationLink)]


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

    def __init__(self, message: ChatMessage) -> None:
        super().__init__()
        self.message = message
        # The status class sits on this one-line child: a class change on the message
        # itself would restyle every Markdown block of a long answer.
        self.meta = Static(Content(""), classes=f"message-meta -{message.status}")

    @property
    def status(self) -> str:
        return self.message.status

    @property
    def message_id(self) -> int:
        return self.message.id

    @property
    def pane(self) -> ChatPane:
        return self.query_ancestor(ChatPane)

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
        self.pane.delete_turn(self.message.id)

    def action_regenerate(self) -> None:
        self.pane.regenerate(self.message.id)

    def action_sibling(self, step: int) -> None:
        self.pane.focus_message(self, step)

    def action_to_input(self) -> None:
        self.pane.focus_input()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("delete_turn", "regenerate", "edit"):
            try:
                return not self.pane.is_streaming
            except Exception:
                return True
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
        self.pane.edit_question(self.message.id)


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
                fed = (
                    self.feed is not None
                    and (
                        self.feed.text_so_far,
                        len(self.feed.citations),
                    )
                    == shown
                )
                if fed:
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


# -- the input -----------------------------------------------------------------------------


class ChatInput(TextArea):
    """The question box: Enter sends, shift+enter or ctrl+j inserts a new line."""

    HELP_GROUP = "Question box"

    BINDINGS: ClassVar[list[BindingType]] = [
        # The study screen's pane switch (TextArea would delete a word on ctrl+w).
        Binding("ctrl+w", "leave", "Pane", show=False),
    ]

    DEFAULT_CSS = """
    ChatInput { height: auto; min-height: 3; max-height: 10; border: tall $border-blurred; }
    ChatInput:focus { border: tall $border; }
    """

    class Submitted(Message):
        def __init__(self, chat_input: ChatInput, text: str) -> None:
            super().__init__()
            self.chat_input = chat_input
            self.text = text

        @property
        def control(self) -> ChatInput:
            return self.chat_input

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(soft_wrap=True, show_line_numbers=False, tab_behavior="focus", **kwargs)
        self.placeholder = Content("Ask about the transcript…")

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Submitted(self, self.text))
            return
        if event.key in ("shift+enter", "ctrl+j"):
            event.stop()
            event.prevent_default()
            start, end = self.selection
            self._replace_via_keyboard("\n", start, end)
            return
        await super()._on_key(event)

    def action_leave(self) -> None:
        screen_switch = getattr(self.screen, "action_switch_pane", None)
        if screen_switch is None:
            raise SkipAction()
        screen_switch()


# -- the pane ------------------------------------------------------------------------------


@dataclass
class _Live:
    """The answer being streamed right now."""

    conversation_id: int
    answer_id: int | None = None
    view: AnswerView | None = None
    feed: MarkdownFeed | None = None
    model: str = ""
    notices: list[str] = field(default_factory=list)


class ChatLog(OneLayoutPerResize, VerticalScroll):
    """The scrolling list of questions and answers."""


class ChatPane(Vertical):
    """Chat about one source; conversations are stored per transcript."""

    HELP_GROUP = "Chat"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "stop", "Stop answer", id="chat.stop"),
        Binding("ctrl+r", "retry", "Retry", id="chat.retry"),
        Binding("ctrl+l", "conversations", "Chats", id="chat.conversations"),
        Binding("tab", "cycle(1)", "Next in chat", show=False, id="chat.next"),
        Binding("shift+tab", "cycle(-1)", "Previous in chat", show=False, id="chat.previous"),
    ]

    DEFAULT_CSS = """
    ChatPane { height: 1fr; width: 1fr; }
    ChatPane #chat-bottom { dock: bottom; height: auto; }
    ChatPane #chat-title {
        height: 1; padding: 0 1; background: $panel; color: $text; text-style: bold;
    }
    ChatPane #chat-log { height: 1fr; padding: 1 0 0 0; layout: stream; }
    ChatPane #chat-intro { color: $text-muted; padding: 0 1 1 1; height: auto; }
    ChatPane #chat-status { height: auto; padding: 0 1; color: $text-muted; }
    ChatPane #chat-status.-busy { color: $text-accent; }
    ChatPane #chat-status.-warning { color: $warning; }
    ChatPane #chat-status.-error { color: $error; }
    ChatPane #chat-usage { height: 1; padding: 0 1; color: $text-muted; background: $panel; }
    ChatPane #chat-focus { height: auto; padding: 0 1; color: $text-accent; display: none; }
    ChatPane #chat-focus.-shown { display: block; }
    """

    client_options: ClassVar[dict[str, Any]] = {}
    """Extra ChatClient options (timeout, max_retries); tests and benchmarks set them."""

    class CitationSelected(Message):
        """A citation link was activated: show segments first..last of the transcript."""

        def __init__(self, first_segment: int, last_segment: int) -> None:
            super().__init__()
            self.first_segment = first_segment
            self.last_segment = last_segment

    class AnswerFinished(Message):
        """An answer stream ended (complete, stopped or failed); for tests and benchmarks."""

        def __init__(self, message_id: int | None, status: str) -> None:
            super().__init__()
            self.message_id = message_id
            self.status = status

    def __init__(
        self,
        source_id: int,
        *,
        transcript: Transcript | None = None,
        id: str | None = "chat",
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.source_id = source_id
        self._transcript = transcript
        self._store: ConversationStore | None = None
        self.conversation_id: int | None = None
        self._views: dict[int, MessageView] = {}
        self._live: _Live | None = None
        self._waiting: AnswerView | None = None  # mounted at send, bound when Claude starts
        self._waiting_mount: AwaitMount | None = None
        self._first_frame: list[AwaitMount] = []
        self._client: ChatClient | None = None
        self._busy = False
        self._editing: int | None = None
        self._focus: Focus | None = None
        self._can_retry = False
        self._resting_hint = False
        self.last_error: ChatError | None = None

    # -- composition ----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # The bottom part comes first in the DOM (docked), so the input is the pane's first
        # focus stop: switching to the chat lands in the question box.
        with Vertical(id="chat-bottom"):
            yield Static(Content(""), id="chat-focus")
            yield Static(Content(IDLE_HINT), id="chat-status")
            yield Static(Content(""), id="chat-usage")
            yield ChatInput(id="chat-input")
        yield Static(Content("Chat with Claude"), id="chat-title")
        with ChatLog(id="chat-log", can_focus=False):
            yield Static(Content(INTRO), id="chat-intro")

    def on_mount(self) -> None:
        conversations = self.store.conversations(self.source_id)
        if conversations:
            self.conversation_id = conversations[0].id
        self.sync()
        self._key_hint()
        if self._views:
            self.log_view.anchor()

    # -- parts ------------------------------------------------------------------------

    @property
    def store(self) -> ConversationStore:
        if self._store is None:
            self._store = ConversationStore(self.app.library.conn)
        return self._store

    @property
    def input(self) -> ChatInput:
        return self.query_one("#chat-input", ChatInput)

    @property
    def log_view(self) -> ChatLog:
        return self.query_one("#chat-log", ChatLog)

    @property
    def status_text(self) -> str:
        return str(self.query_one("#chat-status", Static).render())

    @property
    def usage_line(self) -> str:
        return str(self.query_one("#chat-usage", Static).render())

    @property
    def is_streaming(self) -> bool:
        return self._busy

    @property
    def prices(self) -> dict[str, dict[str, float]]:
        config = getattr(self.app, "config", None)
        return dict(getattr(config, "prices", None) or {})

    def message_views(self) -> list[MessageView]:
        """The stored messages' widgets, in order (not an answer still waiting to start)."""
        return [w for w in self.log_view.children if isinstance(w, MessageView) and w.message_id]

    def answer_views(self) -> list[AnswerView]:
        return [w for w in self.message_views() if isinstance(w, AnswerView)]

    def transcript(self) -> Transcript | None:
        if self._transcript is None:
            self._transcript = self.app.library.transcript(self.source_id)
        return self._transcript

    def _cursor_segment(self) -> int | None:
        view = getattr(self.screen, "_view", None)
        cursor = getattr(view, "cursor", None)
        return cursor if isinstance(cursor, int) else None

    def _focus_label(self, focus: Focus | None) -> str | None:
        transcript = self.transcript()
        if focus is None or transcript is None:
            return None
        segments = transcript.segments
        if not 0 <= focus.first_segment <= focus.last_segment < len(segments):
            return None
        if not transcript.timed:
            first, last = focus.first_segment + 1, focus.last_segment + 1
            return f"¶{first}" if first == last else f"¶{first}–¶{last}"
        start = format_timestamp(segments[focus.first_segment].start)
        end = format_timestamp(
            segments[focus.last_segment].end or segments[focus.last_segment].start
        )
        return f"[{start}–{end}]"

    # -- status lines -------------------------------------------------------------------

    def set_status(self, text: str, kind: str = "") -> None:
        status = self.query_one("#chat-status", Static)
        for name in ("busy", "warning", "error"):
            status.set_class(kind == name, f"-{name}")
        show_text(status, Content(inert_line(text)))
        self._resting_hint = False

    def _key_hint(self) -> None:
        """The resting status line: what to do next (a draft to send, how to set a key)."""
        pending = self._pending_draft()
        if pending is not None:
            reason = f" ({inert_line(pending.error)})" if pending.error else ""
            self.set_status(
                f"A question is waiting to be sent{reason}. ctrl+r sends it.", "warning"
            )
            return
        config = getattr(self.app, "config", None)
        has_key = config is not None and bool((config.effective_api_key() or "").strip())
        if not has_key:
            from core.paths import config_path

            self.set_status(
                "No Anthropic API key: set ANTHROPIC_API_KEY, or api_key in Settings (press , "
                f"anywhere in the app) or in {config_path()}. The rest of Ponder works "
                "without one.",
                "warning",
            )
            self._resting_hint = True
            return
        self.set_status(IDLE_HINT)

    def on_descendant_focus(self) -> None:
        """Coming back to the chat (e.g. after setting a key in Settings): a key hint that
        no longer applies is replaced; error messages stay until the next action."""
        if self._resting_hint and not self._busy and self._editing is None:
            self._resting_hint = False
            self._key_hint()

    def _pending_draft(self) -> ChatMessage | None:
        if self.conversation_id is None:
            return None
        pending = self.store.pending_question(self.conversation_id)
        return pending if pending is not None and pending.status == "draft" else None

    def refresh_usage(self) -> None:
        line = self.query_one("#chat-usage", Static)
        if self.conversation_id is None:
            show_text(line, Content("No conversation yet · L lists conversations"))
            return
        answers = [v.message for v in self.answer_views()]
        last = next((m for m in reversed(answers) if m.usage != Usage()), None)
        total = self.store.conversation_cost(self.conversation_id, self.prices)
        text = f"Conversation ~{format_cost(total)}"
        if last is not None:
            text += f" · last answer: {usage_text(last.usage)}"
        show_text(line, Content(text))

    def _refresh_title(self) -> None:
        title = "Chat with Claude"
        if self.conversation_id is not None:
            conversation = self.store.conversation(self.conversation_id)
            if conversation is not None and conversation.title:
                title += f" · {inert_line(conversation.title)}"
            count = len(self.store.conversations(self.source_id))
            if count > 1:
                title += f" ({count} conversations, L lists)"
        show_text(self.query_one("#chat-title", Static), Content(title))

    # -- syncing the widgets with the store -----------------------------------------------

    def sync(self) -> AwaitMount | None:
        """Make the message widgets match the stored conversation (add, update, remove).

        Returns the mount of new message widgets (await it before streaming into one)."""
        messages = self.store.messages(self.conversation_id) if self.conversation_id else []
        wanted = {m.id for m in messages}
        for message_id in [i for i in self._views if i not in wanted]:
            self._views.pop(message_id).remove()
        new: list[Widget] = []
        mounting: AwaitMount | None = None
        for message in messages:
            view = self._views.get(message.id)
            if view is not None:
                view.update_message(message)
                continue
            view = self._make_view(message)
            self._views[message.id] = view
            new.append(view)
        if new:
            mounting = self.log_view.mount_all(new)
        self.query_one("#chat-intro").display = not messages
        last = messages[-1] if messages else None
        self._can_retry = last is not None and (
            last.role == "user" or last.status in ("stopped", "error")
        )
        self._refresh_title()
        self.refresh_usage()
        self.refresh_bindings()
        return mounting

    def _refresh_questions(self) -> None:
        """Update only the question widgets that were drafts (cheaper than `sync`)."""
        for view in list(self._views.values()):
            if isinstance(view, QuestionView) and view.message.status == "draft":
                stored = self.store.message(view.message_id)
                if stored is not None:
                    view.update_message(stored)

    def _make_view(self, message: ChatMessage) -> MessageView:
        if message.role == "user":
            return QuestionView(message, self._focus_label(message.focus))
        return AnswerView(message, self.prices)

    def _reset_views(self) -> None:
        for view in self._views.values():
            view.remove()
        self._views.clear()

    # -- focus -----------------------------------------------------------------------------

    def focus_input(self) -> None:
        self.input.focus()

    def _focus_stops(self) -> list[Widget]:
        stops: list[Widget] = [
            w for w in self.log_view.query("MessageView, CitationLink") if w.focusable
        ]
        stops.append(self.input)
        return stops

    def action_cycle(self, step: int) -> None:
        """Tab / shift+Tab through messages, links and the input; Tab from the input
        leaves the pane (the study screen's pane switch)."""
        stops = self._focus_stops()
        focused = self.screen.focused
        if focused is None or focused not in stops:
            stops[-1].focus()
            return
        index = stops.index(focused)
        if step > 0 and index == len(stops) - 1:
            raise SkipAction()
        stops[max(0, index + step)].focus()

    def focus_message(self, current: MessageView, step: int) -> None:
        views = self.message_views()
        if current not in views:
            return
        index = views.index(current) + step
        if index >= len(views):
            self.focus_input()
        elif index >= 0:
            views[index].focus()
            views[index].scroll_visible()

    # -- sending ------------------------------------------------------------------------

    def on_chat_input_submitted(self, event: ChatInput.Submitted) -> None:
        event.stop()
        text = event.text.strip()
        if self._busy:
            self.notify(
                "Claude is still answering (Esc stops it).", severity="warning", markup=False
            )
            return
        if self._editing is not None:
            if not text:
                self.notify("The question is empty.", severity="warning", markup=False)
                return
            message_id, self._editing = self._editing, None
            try:
                self.store.edit_user_message_and_truncate(message_id, event.text.strip())
            except ValueError as error:
                self.notify(str(error), severity="error", markup=False)
                return
            self.input.clear()
            self._start_answer(self.sync())
            return
        if not text and self._focus is None:
            return
        self.send(text, self._focus)

    def send(self, question: str, focus: Focus | None = None) -> None:
        """Store the question (a draft until Claude accepts it) and stream the answer."""
        if self._busy:
            return
        if self.transcript() is None:
            self.set_status("This transcript is no longer in the library.", "error")
            return
        if self.conversation_id is None:
            self.conversation_id = self.store.create(self.source_id).id
        self.store.add_user_message(self.conversation_id, question, focus=focus)
        self.input.clear()
        self.clear_focus()
        self._start_answer(self.sync())

    def _start_answer(self, mounting: AwaitMount | None = None) -> None:
        """Show the question as sending and a waiting answer, then stream into it.

        `mounting` is the question's mount, if new: the worker waits for it and the
        answer's mount in one batch, so the screen shows them in one update (each update
        is a layout pass and a paint, taken from the stream)."""
        assert self.conversation_id is not None
        self._busy = True
        self.refresh_bindings()
        self.last_error = None
        self.set_status("Sending to Claude…", "busy")
        self._set_sending(True)
        # The answer's widgets are mounted now, while the request travels, so the first
        # token does not wait for a mount.
        placeholder = ChatMessage(0, self.conversation_id, "assistant", "", "streaming")
        self._waiting = AnswerView(placeholder, self.prices)
        self._waiting_mount = self.log_view.mount(self._waiting)
        self._first_frame = [m for m in (mounting, self._waiting_mount) if m is not None]
        self.log_view.anchor()
        self._answer_worker(self.conversation_id)

    def _set_sending(self, sending: bool) -> None:
        """Drafts being sent are not shown as "not sent"."""
        for view in self._views.values():
            if isinstance(view, QuestionView) and (view.message.status == "draft" or not sending):
                view.set_sending(sending)

    def _drop_waiting(self) -> None:
        if self._waiting is not None:
            self._waiting.remove()
        self._waiting = None
        self._waiting_mount = None

    @work(exclusive=True, group="chat", exit_on_error=False)
    async def _answer_worker(self, conversation_id: int) -> None:
        """Stream one answer into the pane (the service stores it as it arrives)."""
        from core.chat.service import ask

        live = _Live(conversation_id)
        self._live = live
        client = None
        status = "error"
        first_frame, self._first_frame = self._first_frame, []
        try:
            if first_frame:
                # No screen updates until both are mounted (a second at most: the batch
                # holds every paint of the app).
                with self.app.batch_update(), suppress(TimeoutError):
                    async with asyncio.timeout(1.0):
                        for mounting in first_frame:
                            await mounting
                # Awaiting a mount again would lay the log out again.
                self._waiting_mount = None
            transcript = self.transcript()
            if transcript is None:
                raise ChatError("This transcript is no longer in the library.")
            try:
                client = await self._chat_client()
            except NoApiKey as error:
                pending = self.store.pending_question(conversation_id)
                if pending is not None:
                    self.store.set_error(pending.id, "no API key")
                raise error
            await load_sdk_once()
            defer_full_collections.start()
            events = ask(
                self.store,
                client,
                transcript,
                conversation_id,
                None,
                cursor_segment=self._cursor_segment(),
            )
            async with aclosing(events) as stream:
                async for event in stream:
                    if isinstance(event, TextDelta):
                        if live.feed is not None:
                            await live.feed.text(event.text)
                    elif isinstance(event, CitationEvent):
                        if live.feed is not None and live.view is not None:
                            await live.feed.citation(event.citation)
                            live.view.add_citation(event.citation)
                    elif isinstance(event, Started):
                        await self._begin_answer(live, event)
                    elif isinstance(event, Notice):
                        live.notices.append(event.text)
                        self.notify(inert_line(event.text), markup=False, timeout=8)
                    elif isinstance(event, Done):
                        status = "complete"
            if live.feed is not None:
                await live.feed.close()
        except ChatError as error:
            self.last_error = error
            await self._close_feed(live)
            hint = " ctrl+r retries." if self.conversation_id == conversation_id else ""
            self.set_status(f"{error}{hint}", "error")
            self._resting_hint = isinstance(error, NoApiKey)  # refreshed once a key is set
        except ValueError as error:  # nothing to send, conversation gone
            await self._close_feed(live)
            self.set_status(str(error), "error")
        except asyncio.CancelledError:
            status = "stopped"
            self._mark_stopped(live)
            if self.is_attached:
                self.set_status(
                    "Stopped: the partial answer is kept. ctrl+r or r on it answers again.",
                    "warning",
                )
            await self._close_feed(live)
            raise
        finally:
            self._live = None
            if self.is_attached:
                self._drop_waiting()  # Claude never started: no answer to show
            if client is not None and not self.is_attached:
                await self._close_client()
            if self.is_attached:
                # Paint the final text first; the bookkeeping (usage, title, footer) after.
                self.call_after_refresh(self._after_stream, live, status)
            else:
                self._busy = False
                self._set_sending(False)
                defer_full_collections.end()

    async def _chat_client(self) -> ChatClient:
        """The pane's client, kept from one answer to the next so its connection is reused
        (no new TLS handshake, nor a new SSL context: 20-30 ms here, per question); a new
        one once the key, model, address or options change."""
        from core.chat.client import ChatClient

        fresh = ChatClient.from_config(getattr(self.app, "config", None), **self.client_options)
        if self._client is not None and self._client.same_setup(fresh):
            return self._client
        await self._close_client()
        self._client = fresh
        return fresh

    async def _close_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with suppress(Exception):
                await client.aclose()

    async def on_unmount(self) -> None:
        await self._close_client()

    def _after_stream(self, live: _Live, status: str) -> None:
        """Settle the pane after a stream: statuses, usage, keys; then it is idle again."""
        self._busy = False
        defer_full_collections.end()
        self._set_sending(False)
        if status == "complete":
            self.set_status(live.notices[-1] if live.notices else IDLE_HINT)
        self.sync()
        self.post_message(self.AnswerFinished(live.answer_id, status))

    async def _begin_answer(self, live: _Live, event: Started) -> None:
        live.answer_id = event.message_id
        live.model = event.model
        message = self.store.message(event.message_id) if event.message_id else None
        view, mounting = self._waiting, self._waiting_mount
        self._waiting = self._waiting_mount = None
        if message is not None and view is not None:
            view.update_message(message)
            self._views[message.id] = view
        elif view is not None:
            view.remove()
            view = None
        if mounting is not None:
            await mounting  # the Markdown must be mounted before the stream writes to it
        self._refresh_questions()  # sent: no longer drafts
        if message is None:
            return
        if view is None:
            found = self._views.get(message.id)
            if not isinstance(found, AnswerView):
                return
            view = found
        live.view = view
        live.feed = view.start_feed()
        self.set_status("Claude is answering… Esc stops.", "busy")

    async def _close_feed(self, live: _Live) -> None:
        if live.feed is not None:
            with suppress(Exception):
                await live.feed.close()

    def _mark_stopped(self, live: _Live) -> None:
        """Store the partial answer as stopped now (the service does too, if it gets to run
        before the app closes the database)."""
        if live.answer_id is None or live.feed is None:
            return
        message = self.store.message(live.answer_id)
        if message is None or message.status != "streaming":
            return
        with suppress(Exception):  # the database may already be closed when quitting
            self.store.finish_assistant_message(
                live.answer_id,
                text=live.feed.text_so_far,
                citations=live.feed.citations,
                status="stopped",
                error="Stopped before the answer finished.",
            )

    # -- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # False hides the key and lets it fall through to the screen (Esc clears a search).
        if action == "stop":
            return self._busy or self._editing is not None or self._focus is not None
        if action == "retry":
            return not self._busy and self._can_retry
        return True

    def action_stop(self) -> None:
        """Esc: stop the answer; else cancel an edit or the passage focus; else pass on."""
        if self._busy:
            self.stop()
            return
        if self._editing is not None:
            self._editing = None
            self.input.clear()
            self._key_hint()
            self.refresh_bindings()
            return
        if self._focus is not None:
            self.clear_focus()
            return
        raise SkipAction()

    def stop(self) -> None:
        """Stop the answer being streamed; the service stores the partial answer as stopped."""
        live = self._live
        if live is not None:
            self._mark_stopped(live)
        self.workers.cancel_group(self, "chat")

    def action_retry(self) -> None:
        self.retry()

    def action_conversations(self) -> None:
        self.show_conversations()

    def retry(self) -> None:
        """Send the waiting question again, or answer the last question again."""
        if self._busy:
            self.notify(
                "Claude is still answering (Esc stops it).", severity="warning", markup=False
            )
            return
        if self.conversation_id is None:
            return
        messages = self.store.messages(self.conversation_id)
        questions = [m for m in messages if m.role == "user"]
        if not questions:
            self.notify("There is no question to send.", severity="warning", markup=False)
            return
        self.store.truncate_after(questions[-1].id)
        self.sync()
        self._start_answer()

    def regenerate(self, message_id: int) -> None:
        """Answer again from this message (a question, or the answer to replace): drops
        it if it is an answer, and everything after it."""
        if self._busy or self.conversation_id is None:
            return
        message = self.store.message(message_id)
        if message is None:
            return
        earlier = [
            m
            for m in self.store.messages(message.conversation_id)
            if m.role == "user" and m.id <= message_id
        ]
        if not earlier:
            self.notify(
                "There is no question before that answer.", severity="warning", markup=False
            )
            return
        dropped = self.store.truncate_after(earlier[-1].id)
        self.sync()
        if dropped > 1:
            self.notify(f"Answering again; {dropped} later messages removed.", markup=False)
        self._start_answer()

    def edit_question(self, message_id: int) -> None:
        """Put an earlier question in the input; Enter resends it and drops what followed."""
        message = self.store.message(message_id)
        if message is None or message.role != "user" or self._busy:
            return
        self._editing = message_id
        self.refresh_bindings()
        self.input.load_text(message.content)
        self.input.focus()
        later = len([m for m in self.store.messages(message.conversation_id) if m.id > message_id])
        drop = f" and drops the {later} messages after it" if later else ""
        self.set_status(f"Editing a question: Enter sends it{drop} · Esc cancels.", "warning")

    def delete_turn(self, message_id: int) -> None:
        if self._busy:
            return
        views = self.message_views()
        position = next((i for i, v in enumerate(views) if v.message_id == message_id), None)
        deleted = self.store.delete_turn(message_id)
        if not deleted:
            return
        self.sync()
        remaining = [v for v in views if v.message_id not in deleted]
        if remaining and position is not None:
            remaining[min(position, len(remaining) - 1)].focus()
        else:
            self.focus_input()
        noun = "message" if len(deleted) == 1 else "messages"
        self.notify(f"Deleted {len(deleted)} {noun}.", markup=False)
        self._key_hint()

    # -- ask about a passage --------------------------------------------------------------

    def ask_about(self, focus: Focus) -> None:
        """Make `focus` the passage the next question is about, and go to the input."""
        self._focus = focus
        label = self._focus_label(focus)
        passage = inert_line(focus.text)
        if len(passage) > 120:
            passage = passage[:119].rstrip() + "…"
        where = f" {label}" if label else ""
        line = self.query_one("#chat-focus", Static)
        line.update(Content(f"About{where}: “{passage}” (Esc clears; Enter alone asks to explain)"))
        line.add_class("-shown")
        self.refresh_bindings()
        self.focus_input()

    def clear_focus(self) -> None:
        self._focus = None
        line = self.query_one("#chat-focus", Static)
        line.remove_class("-shown")
        line.update(Content(""))
        self.refresh_bindings()

    @property
    def pending_focus(self) -> Focus | None:
        return self._focus

    # -- conversations -------------------------------------------------------------------

    def new_conversation(self) -> None:
        if self._busy:
            self.notify("Stop the answer first (Esc).", severity="warning", markup=False)
            return
        if self.conversation_id is not None and not self.store.messages(self.conversation_id):
            self.notify("This conversation is still empty.", markup=False)
            self.focus_input()
            return
        self.conversation_id = self.store.create(self.source_id).id
        self._editing = None
        self._reset_views()
        self.sync()
        self._key_hint()
        self.focus_input()
        self.notify("New conversation.", markup=False)

    def open_conversation(self, conversation_id: int) -> None:
        if self._busy:
            self.notify("Stop the answer first (Esc).", severity="warning", markup=False)
            return
        conversation = self.store.conversation(conversation_id)
        if conversation is None or conversation.source_id != self.source_id:
            self.notify("That conversation no longer exists.", severity="error", markup=False)
            return
        self.conversation_id = conversation_id
        self._editing = None
        self._reset_views()
        self.sync()
        self._key_hint()
        self.log_view.anchor()

    def show_conversations(self) -> None:
        """The conversation list (open, new, delete) in a modal."""
        if self._busy:
            self.notify("Stop the answer first (Esc).", severity="warning", markup=False)
            return
        from tui.screens.conversations import ConversationsScreen

        self.app.push_screen(
            ConversationsScreen(self.store, self.source_id, self.conversation_id, self.prices),
            self._after_conversations,
        )

    def _after_conversations(self, choice: tuple[str, int | None] | None) -> None:
        if (
            self.conversation_id is not None
            and self.store.conversation(self.conversation_id) is None
        ):
            self.conversation_id = None  # deleted in the list
            self._reset_views()
            remaining = self.store.conversations(self.source_id)
            if remaining and choice is None:
                self.conversation_id = remaining[0].id
            self.sync()
            self._key_hint()
        if choice is None:
            return
        action, conversation_id = choice
        if action == "new":
            self.new_conversation()
        elif action == "open" and conversation_id is not None:
            self.open_conversation(conversation_id)
            self.focus_input()

    # -- links ----------------------------------------------------------------------------

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        target = parse_citation_href(event.href)
        if target is not None:
            self.post_message(self.CitationSelected(*target))
            return
        if event.href.startswith(("https://", "http://")):
            self.app.open_url(event.href)
            self.notify(f"Opening {inert_line(event.href)}", markup=False)


def focus_from_selection(
    transcript: Transcript,
    selected: tuple[int, int, int | None, int | None] | None,
    cursor: int,
    text: str,
) -> Focus | None:
    """The Focus for "ask about selection": the selected range, else the cursor segment."""
    if not transcript.segments:
        return None
    first, last = (selected[0], selected[1]) if selected else (cursor, cursor)
    text = text.strip() or " ".join(s.text for s in transcript.segments[first : last + 1])
    return Focus(first, last, text)


__all__ = [
    "AnswerView",
    "ChatInput",
    "ChatPane",
    "CitationLink",
    "MarkdownFeed",
    "QuestionView",
    "answer_markdown",
    "citation_link_markdown",
    "focus_from_selection",
    "parse_citation_href",
]
