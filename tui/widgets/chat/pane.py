"""The chat pane of the study screen: a conversation with Claude about the transcript.

Layout (top to bottom): the conversation title, the message list (questions as plain
text, answers as Markdown streamed through `Markdown.get_stream`, each answer followed by
its citation links and a usage line), a status line, the usage/cost line, an optional
"about this passage" line, and the input (Enter sends, shift+enter / ctrl+j newline).

Streaming runs in an async worker (`group="chat"`, exclusive) that drives
`core.chat.service.ask`. The service is the one writer of the conversation: it stores
the question, the answer as it arrives and its final state (`stopped` when Esc cancels
the worker), and the pane changes a conversation only through its functions; the pane
renders what the store holds. anthropic is imported by `core.chat.client` inside the
worker's first request, never when this module loads.

Attributes down, messages up: the message widgets ask for deletes, regenerations, edits
and focus moves with messages handled here; the screen passes down what the pane needs
(`cursor_segment`, the reading position a long transcript's excerpt is cut around).
Citation links post `CitationSelected`, which the screen handles.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widget import AwaitMount, Widget
from textual.widgets import Markdown, Static

from core.chat import service
from core.chat.cost import format_cost
from core.chat.errors import ChatError
from core.chat.models import (
    ChatMessage,
    Conversation,
    Focus,
    Usage,
)
from core.chat.store import ConversationStore
from core.models import Transcript, format_timestamp
from core.textsafe import inert_line
from tui.context import ponder
from tui.widgets.chat.answering import IDLE_HINT, AnswerStreaming
from tui.widgets.chat.chat_input import ChatInput
from tui.widgets.chat.citations import CitationSelected, parse_citation_target
from tui.widgets.chat.feed import show_text
from tui.widgets.chat.messages import AnswerView, MessageView, QuestionView, usage_text
from tui.widgets.one_layout import OneLayoutPerResize

INTRO = (
    "Chat with Claude about this transcript. Type a question below and press Enter "
    "(shift+enter or ctrl+j for a new line). Answers cite the transcript: activate a "
    "[hh:mm:ss] link to jump there."
)
BUSY_NOTE = "Claude is still answering (Esc stops it)."


class ChatLog(OneLayoutPerResize, VerticalScroll):
    """The scrolling list of questions and answers."""


class ChatPane(AnswerStreaming, Vertical):
    """Chat about one source; conversations are stored per transcript."""

    HELP_GROUP = "Chat"
    intro = INTRO  # what the empty chat says (a collection's pane says its own)
    ask_hint = "Ask about the transcript…"  # the empty question box's placeholder

    BINDINGS: ClassVar[list[BindingType]] = [
        # One key, three jobs: the footer names the one Esc does now (the first enabled).
        Binding("escape", "stop", "Stop answer", id="chat.stop"),
        Binding("escape", "cancel_edit", "Cancel edit", id="chat.cancel_edit"),
        Binding("escape", "drop_passage", "Drop passage", id="chat.drop_passage"),
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

    class ConversationsRequested(Message):
        """Show this pane's conversation list; the screen owns the modal (a widget does not
        import screens) and gives the result to `pane.after_conversations`."""

        def __init__(self, pane: ChatPane) -> None:
            super().__init__()
            self.pane = pane

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
        cursor_segment: int | None = None,
        id: str | None = "chat",
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.source_id = source_id
        self.cursor_segment = cursor_segment
        """The reading position: a transcript over the token budget is cut around it."""
        self._transcript = transcript
        self._store: ConversationStore | None = None
        self.conversation_id: int | None = None
        self._views: dict[int, MessageView] = {}
        self._waiting = None
        self._waiting_mount = None
        self._first_frame = []
        self._client = None
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
            question_box = ChatInput(id="chat-input")
            question_box.placeholder = Content(self.ask_hint)
            yield question_box
        yield Static(Content("Chat with Claude"), id="chat-title")
        with ChatLog(id="chat-log", can_focus=False):
            yield Static(Content(self.intro), id="chat-intro")

    def on_mount(self) -> None:
        conversations = self.conversations()
        if conversations:
            self.conversation_id = conversations[0].id
        self.sync()
        self._key_hint()
        if self._views:
            self.log_view.anchor()

    # -- parts ------------------------------------------------------------------------

    @property
    def store(self) -> ConversationStore:
        """The conversations, to read (changes go through `core.chat.service`)."""
        if self._store is None:
            self._store = ConversationStore(ponder(self).library.conn)
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
        return dict(ponder(self).config.prices or {})

    def message_views(self) -> list[MessageView]:
        """The stored messages' widgets, in order (not an answer still waiting to start)."""
        return [w for w in self.log_view.children if isinstance(w, MessageView) and w.message_id]

    def answer_views(self) -> list[AnswerView]:
        return [w for w in self.message_views() if isinstance(w, AnswerView)]

    def transcript(self) -> Transcript | None:
        if self._transcript is None:
            self._transcript = ponder(self).library.transcript(self.source_id)
        return self._transcript

    def focus_label(self, focus: Focus | None) -> str | None:
        """Where a selected passage is (`[00:01:00–00:01:30]`), or None; a collection's pane
        names the transcript too."""
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

    def _set_busy(self, busy: bool) -> None:
        """An answer streams (or not): the message widgets' delete/regenerate/edit keys
        follow."""
        self._busy = busy
        for view in self._views.values():
            view.answering = busy
        if self._waiting is not None:
            self._waiting.answering = busy
        self.refresh_bindings()

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
        has_key = bool((ponder(self).config.effective_api_key() or "").strip())
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
            show_text(line, Content("No conversation yet · ctrl+l lists conversations"))
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
            count = len(self.conversations())
            if count > 1:
                title += f" ({count} conversations, ctrl+l lists)"
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
        view: MessageView
        if message.role == "user":
            view = QuestionView(message, self.focus_label(message.focus))
        else:
            view = AnswerView(message, self.prices)
        view.answering = self._busy
        return view

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
        """Tab / shift+Tab through messages, links and the input. Tab from the input goes
        to the last answer's first citation link (else the last message), as the hint and
        the README say; with no message yet it leaves the pane (ctrl+w always does)."""
        stops = self._focus_stops()
        focused = self.screen.focused
        if focused is None or focused not in stops:
            stops[-1].focus()
            return
        index = stops.index(focused)
        if step > 0 and index == len(stops) - 1:
            target = self._last_turn_stop()
            if target is None:
                raise SkipAction()
            target.focus()
            target.scroll_visible()
            return
        stops[max(0, index + step)].focus()

    def _last_turn_stop(self) -> Widget | None:
        """Where Tab from the input lands: the last answer's first link, else the last
        message."""
        views = self.message_views()
        if not views:
            return None
        last = views[-1]
        if isinstance(last, AnswerView) and last.citation_row.links:
            return last.citation_row.links[0]
        return last

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

    @on(MessageView.Move)
    def _on_move(self, event: MessageView.Move) -> None:
        event.stop()
        self.focus_message(event.view, event.step)

    @on(MessageView.ToInput)
    def _on_to_input(self, event: MessageView.ToInput) -> None:
        event.stop()
        self.focus_input()

    # -- sending ------------------------------------------------------------------------

    def on_chat_input_submitted(self, event: ChatInput.Submitted) -> None:
        event.stop()
        text = event.text.strip()
        if self._busy:
            self.notify(BUSY_NOTE, severity="warning", markup=False)
            return
        if self._editing is not None:
            if not text:
                self.notify("The question is empty.", severity="warning", markup=False)
                return
            message_id, self._editing = self._editing, None
            try:
                service.edit_question(self.store, message_id, text)
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
        """Queue the question with the service (a draft until Claude accepts it) and
        stream the answer."""
        if self._busy:
            return
        if self.transcript() is None:
            self.set_status("This transcript is no longer in the library.", "error")
            return
        if self.conversation_id is None:
            self.conversation_id = self.start_conversation()
        service.queue_question(self.store, self.conversation_id, question, focus)
        self.input.clear()
        self.clear_focus()
        self._start_answer(self.sync())

    # -- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # False hides the key and lets it fall through to the screen (Esc clears a search).
        if action == "stop":
            return self._busy
        if action == "cancel_edit":
            return not self._busy and self._editing is not None
        if action == "drop_passage":
            return not self._busy and self._editing is None and self._focus is not None
        if action == "retry":
            return not self._busy and self._can_retry
        return True

    def action_stop(self) -> None:
        """Esc while Claude answers: stop the answer (what came so far is kept)."""
        self.stop()

    def action_cancel_edit(self) -> None:
        """Esc while a question is being edited: leave it as it was."""
        self._editing = None
        self.input.clear()
        self._key_hint()
        self.refresh_bindings()

    def action_drop_passage(self) -> None:
        """Esc with a passage shown above the box: ask without it."""
        self.clear_focus()

    def action_retry(self) -> None:
        self.retry()

    def action_conversations(self) -> None:
        self.show_conversations()

    def retry(self) -> None:
        """Send the waiting question again, or answer the last question again."""
        if self._busy:
            self.notify(BUSY_NOTE, severity="warning", markup=False)
            return
        if self.conversation_id is None:
            return
        try:
            service.rewind_to_last_question(self.store, self.conversation_id)
        except ValueError as error:
            self.notify(str(error), severity="warning", markup=False)
            return
        self.sync()
        self._start_answer()

    def regenerate(self, message_id: int) -> None:
        """Answer again from this message (a question, or the answer to replace): drops
        it if it is an answer, and everything after it."""
        if self._busy or self.conversation_id is None:
            return
        try:
            dropped = service.rewind_before(self.store, message_id)
        except ValueError as error:
            if self.store.message(message_id) is not None:
                self.notify(str(error), severity="warning", markup=False)
            return
        self.sync()
        if dropped > 1:
            self.notify(f"Answering again; {dropped} later messages removed.", markup=False)
        self._start_answer()

    @on(MessageView.Regenerate)
    def _on_regenerate(self, event: MessageView.Regenerate) -> None:
        event.stop()
        self.regenerate(event.message_id)

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

    @on(QuestionView.Edit)
    def _on_edit(self, event: QuestionView.Edit) -> None:
        event.stop()
        self.edit_question(event.message_id)

    def delete_turn(self, message_id: int) -> None:
        if self._busy:
            return
        views = self.message_views()
        position = next((i for i, v in enumerate(views) if v.message_id == message_id), None)
        deleted = service.delete_turn(self.store, message_id)
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

    @on(MessageView.DeleteTurn)
    def _on_delete_turn(self, event: MessageView.DeleteTurn) -> None:
        event.stop()
        self.delete_turn(event.message_id)

    # -- ask about a passage --------------------------------------------------------------

    def ask_about(self, focus: Focus) -> None:
        """Make `focus` the passage the next question is about, and go to the input."""
        self._focus = focus
        label = self.focus_label(focus)
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
    # What the pane is about: one source here; a collection's pane overrides these four.

    def conversations(self) -> list[Conversation]:
        """The conversations this pane can show, most recently active first."""
        return self.store.conversations(self.source_id)

    def start_conversation(self) -> int:
        return service.start_conversation(self.store, self.source_id)

    def owns(self, conversation: Conversation) -> bool:
        return conversation.source_id == self.source_id

    def new_conversation(self) -> None:
        if self._busy:
            self.notify("Stop the answer first (Esc).", severity="warning", markup=False)
            return
        if self.conversation_id is not None and not self.store.messages(self.conversation_id):
            self.notify("This conversation is still empty.", markup=False)
            self.focus_input()
            return
        self.conversation_id = self.start_conversation()
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
        if conversation is None or not self.owns(conversation):
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
        self.post_message(self.ConversationsRequested(self))

    def after_conversations(self, choice: tuple[str, int | None] | None) -> None:
        """The conversation list closed with `choice` (("open", id), ("new", None) or None):
        follow it, and notice a deletion of the open conversation."""
        if (
            self.conversation_id is not None
            and self.store.conversation(self.conversation_id) is None
        ):
            self.conversation_id = None  # deleted in the list
            self._reset_views()
            remaining = self.conversations()
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
        target = parse_citation_target(event.href)
        if target is not None:
            first, last, source_id = target
            self.post_message(CitationSelected(first, last, source_id=source_id))
            return
        if event.href.startswith(("https://", "http://")):
            self.app.open_url(event.href)
            self.notify(f"Opening {inert_line(event.href)}", markup=False)


__all__ = ["IDLE_HINT", "INTRO", "ChatLog", "ChatPane"]
