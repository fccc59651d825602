"""The conversations about one transcript: open one, start a new one, delete one.

A modal over the study screen. Dismisses with `("open", id)`, `("new", None)` or None;
deletions happen here at once (after a y/n confirmation) and the chat pane notices when
its own conversation is gone. Titles come from the learner's questions: shown as plain
text, never parsed as markup.
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

from core.chat.cost import format_cost
from core.chat.models import Conversation
from core.chat.store import ConversationStore
from core.textsafe import inert_line
from tui.screens.confirm import ConfirmScreen

ConversationChoice = tuple[str, "int | None"]


def conversation_label(
    conversation: Conversation, cost: float | None, current: bool, width: int = 48
) -> Text:
    """`● Title…  12 msg · ~$0.03 · 2026-11-23 19:20` as plain styled text."""
    title = inert_line(conversation.title or "(empty conversation)")
    if len(title) > width:
        title = title[: width - 1].rstrip() + "…"
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("● " if current else "  ", style="bold")
    text.append(title, style="bold" if current else "")
    local = conversation.updated_at.astimezone()
    text.append(
        f"  {conversation.message_count} msg · ~{format_cost(cost)} · {local:%Y-%m-%d %H:%M}",
        style="dim",
    )
    return text


class ConversationsScreen(ModalScreen["ConversationChoice | None"]):
    """A list of this transcript's conversations, most recent first."""

    HELP_GROUP = "Conversations"

    BINDINGS: list[BindingType] = [
        Binding("escape,q", "close", "Close", id="conversations.close"),
        Binding("n,ctrl+n", "new", "New conversation", id="conversations.new"),
        Binding("d,delete", "delete", "Delete", id="conversations.delete"),
        Binding("j", "cursor(1)", "Down", show=False),
        Binding("k", "cursor(-1)", "Up", show=False),
    ]

    DEFAULT_CSS = """
    ConversationsScreen { align: center middle; }
    ConversationsScreen > #conversations-dialog {
        width: 90;
        max-width: 95%;
        height: auto;
        max-height: 85%;
        padding: 0 1;
        background: $panel;
        border: round $primary;
        border-title-align: center;
    }
    ConversationsScreen #conversations-list { height: auto; max-height: 24; }
    ConversationsScreen #conversations-empty { color: $text-muted; padding: 1; }
    ConversationsScreen #conversations-hint { color: $text-muted; margin-top: 1; }
    """

    def __init__(
        self,
        store: ConversationStore,
        source_id: int,
        current_id: int | None = None,
        prices: dict[str, dict[str, float]] | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.source_id = source_id
        self.current_id = current_id
        self.prices = prices or {}
        self.conversations: list[Conversation] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="conversations-dialog") as dialog:
            dialog.border_title = "Conversations"
            yield OptionList(id="conversations-list")
            yield Static(Content("No conversations yet."), id="conversations-empty")
            yield Static(
                Content("Enter opens · n new · d deletes · Esc closes"), id="conversations-hint"
            )

    def on_mount(self) -> None:
        self.reload()
        self.query_one(OptionList).focus()

    def reload(self, keep: int | None = None) -> None:
        self.conversations = self.store.conversations(self.source_id)
        option_list = self.query_one(OptionList)
        option_list.clear_options()
        option_list.add_options(
            Option(
                conversation_label(
                    conversation,
                    self.store.conversation_cost(conversation.id, self.prices),
                    conversation.id == self.current_id,
                ),
                id=str(conversation.id),
            )
            for conversation in self.conversations
        )
        self.query_one("#conversations-empty").display = not self.conversations
        option_list.display = bool(self.conversations)
        if self.conversations:
            ids = [c.id for c in self.conversations]
            target = keep if keep is not None else self.current_id
            if target in ids:
                option_list.highlighted = ids.index(target)
            else:
                option_list.highlighted = 0

    @property
    def highlighted(self) -> Conversation | None:
        index = self.query_one(OptionList).highlighted
        if index is None or not 0 <= index < len(self.conversations):
            return None
        return self.conversations[index]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_id is not None:
            self.dismiss(("open", int(event.option_id)))

    def action_cursor(self, step: int) -> None:
        option_list = self.query_one(OptionList)
        if step > 0:
            option_list.action_cursor_down()
        else:
            option_list.action_cursor_up()

    def action_new(self) -> None:
        self.dismiss(("new", None))

    def action_close(self) -> None:
        self.dismiss(None)

    def action_delete(self) -> None:
        conversation = self.highlighted
        if conversation is None:
            return
        title = conversation.title or "(empty conversation)"

        def done(confirmed: bool | None) -> None:
            if not confirmed:
                return
            index = self.conversations.index(conversation)
            self.store.delete_conversation(conversation.id)
            remaining = [c.id for c in self.conversations if c.id != conversation.id]
            keep = remaining[min(index, len(remaining) - 1)] if remaining else None
            self.reload(keep)
            self.notify("Conversation deleted.", markup=False)

        self.app.push_screen(
            ConfirmScreen(
                f"Delete the conversation “{inert_line(title)}” "
                f"({conversation.message_count} messages)?",
                confirm_label="Delete",
                cancel_label="Keep",
                title="Delete conversation",
            ),
            done,
        )
