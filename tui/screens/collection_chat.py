"""Chat with Claude about a whole collection (A in the library).

The collection's transcripts are named at the top; the chat pane below sends every one of
them as its own cited document (`core.chat.collection`). A citation `[Title hh:mm:ss]`
opens that transcript at that moment in the study screen (q there comes back here).
ctrl+l lists the collection's conversations, ctrl+n starts a new one, Esc stops an answer
and, when none is streaming, goes back. Titles are shown as plain text.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, Static

from core import collections
from core.textsafe import inert_line
from tui.screens.help import BindingCommands
from tui.widgets.chat import CitationSelected
from tui.widgets.chat.collection import CollectionChatPane
from tui.widgets.footer import CoalescingFooter

NEW = "new"


class CollectionChatScreen(Screen[None]):
    """One collection's chat: every transcript of it sent as a cited document."""

    HELP_GROUP = "Collection chat"
    COMMANDS = {BindingCommands}

    BINDINGS: list[BindingType] = [
        Binding("ctrl+n", "new_conversation", "New chat", id="collection_chat.new_chat"),
        Binding("escape", "back", "Back", id="collection_chat.back"),
    ]

    DEFAULT_CSS = """
    CollectionChatScreen #collection-members {
        height: auto;
        max-height: 3;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    """

    def __init__(self, collection_id: int) -> None:
        super().__init__()
        self.collection_id = collection_id

    def compose(self) -> ComposeResult:
        library = self.app.library
        found = collections.get(library, self.collection_id)
        transcripts = [library.transcript(i) for i in (found.source_ids if found else ())]
        members = [t for t in transcripts if t is not None]
        self.collection_name = found.name if found else "(deleted)"
        yield Header()
        titles = " · ".join(inert_line(t.source.title) for t in members)
        count = len(members)
        noun = "transcript" if count == 1 else "transcripts"
        yield Static(Content(f"{count} {noun}: {titles}"), id="collection-members")
        yield CollectionChatPane(self.collection_id, members)
        yield CoalescingFooter(compact=True)

    def on_mount(self) -> None:
        self.title = inert_line(self.collection_name)
        self.sub_title = "Collection chat"
        self.pane.focus_input()

    @property
    def pane(self) -> CollectionChatPane:
        return self.query_one(CollectionChatPane)

    @on(CitationSelected)
    def _open_cited(self, event: CitationSelected) -> None:
        """`[Title hh:mm:ss]`: that transcript, at that moment, the cited passage selected
        (so `c` makes a card that keeps its own transcript and segments)."""
        event.stop()
        source_id = event.source_id
        if source_id is None or self.app.library.source(source_id) is None:
            self.notify("That transcript is no longer in the library.", markup=False)
            return
        from tui.screens.study import StudyScreen

        self.app.push_screen(
            StudyScreen(source_id, at_segment=event.first_segment, select_to=event.last_segment)
        )

    @on(CollectionChatPane.ConversationsWanted)
    def _list_conversations(self, event: Any) -> None:
        from tui.screens.choice import ChoiceScreen

        event.stop()
        pane = self.pane
        choices: list[tuple[Any, str]] = [
            (c.id, f"{c.updated_at:%Y-%m-%d %H:%M}  {c.title or '(empty)'}  ({c.message_count})")
            for c in pane.conversations()
        ]
        choices.append((NEW, "New conversation"))

        def chosen(value: Any) -> None:
            if value == NEW:
                pane.new_conversation()
            elif value is not None:
                pane.open_conversation(int(value))
                pane.focus_input()

        self.app.push_screen(
            ChoiceScreen(
                "Conversations about this collection", choices, current=pane.conversation_id
            ),
            chosen,
        )

    def action_new_conversation(self) -> None:
        self.pane.new_conversation()

    def action_back(self) -> None:
        self.app.pop_screen()
