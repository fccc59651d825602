"""Chat with Claude about a whole collection (A in the library).

The collection's transcripts are named at the top; the chat pane below sends every one of
them as its own cited document (`core.chat.collection`). A citation `[Title hh:mm:ss]`
opens that transcript at that moment in the study screen (q there comes back here).
ctrl+l lists the collection's conversations, ctrl+n starts a new one, Esc stops an answer
and, when none is streaming, goes back. Titles are shown as plain text.

ctrl+f searches the collection (`PickPassageScreen`) for a passage to include: the chosen
result's segment becomes the pane's focus, shown above the input (Esc removes it) and sent
with the next question as the selected passage, so that an over-budget collection sends
it among its excerpts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, Static

from core import collections
from core.chat.focus import focus_from_selection
from core.chat.models import ChatEvent, GuideNote
from core.chat.store import ConversationStore
from core.models import Transcript
from core.search import SearchHit
from core.textsafe import inert_line
from tui.context import ponder
from tui.screens.guide import GuideMenuScreen, GuideScreen
from tui.screens.help import BindingCommands
from tui.screens.search_all import PickPassageScreen
from tui.widgets.chat import CitationSelected
from tui.widgets.chat.collection import CollectionChatPane
from tui.widgets.footer import CoalescingFooter

if TYPE_CHECKING:
    from core.chat.client import ChatClient

NEW = "new"


class CollectionChatScreen(Screen[None]):
    """One collection's chat: every transcript of it sent as a cited document."""

    HELP_GROUP = "Collection chat"
    COMMANDS = {BindingCommands}

    BINDINGS: list[BindingType] = [
        Binding("ctrl+n", "new_conversation", "New chat", id="collection_chat.new_chat"),
        Binding("ctrl+g", "guides", "Guides", id="collection_chat.guides"),
        Binding("ctrl+f", "include_passage", "Passage", id="collection_chat.passage"),
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
        library = ponder(self).library
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
        if source_id is None or ponder(self).library.source(source_id) is None:
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

    def action_include_passage(self) -> None:
        """ctrl+f: search the collection for a passage to send with the next question."""
        found = collections.get(ponder(self).library, self.collection_id)
        if found is None or not self.pane.transcripts:
            self.notify("The collection has no transcripts yet.", markup=False)
            return
        self.app.push_screen(PickPassageScreen(found), self._include)

    def _include(self, hit: SearchHit | None) -> None:
        """The chosen result's segment becomes the passage the next question is about."""
        pane = self.pane
        if hit is None:
            pane.focus_input()
            return
        transcript = next((t for t in pane.transcripts if t.source.id == hit.source_id), None)
        index = hit.segment - 1  # results number segments from 1, as the app shows them
        if transcript is None or not 0 <= index < len(transcript.segments):
            self.notify(
                "That transcript changed or joined the collection after this chat opened: "
                "open the chat again to include it.",
                markup=False,
            )
            return
        focus = focus_from_selection(transcript, None, index, "")
        if focus is not None:
            pane.ask_about(replace(focus, source_id=hit.source_id))

    def action_guides(self) -> None:
        """ctrl+g: a study guide to the whole collection (saved with the collection)."""
        pane = self.pane
        if not pane.transcripts:
            self.notify("The collection has no transcripts yet.", markup=False)
            return

        def chosen(kind: str | None) -> None:
            if kind is None:
                return
            guide = CollectionGuideScreen(
                pane.store,
                self.collection_id,
                self.collection_name,
                pane.transcripts,
                kind,
                prices=pane.prices,
            )
            self.app.push_screen(guide, self._after_guide)

        self.app.push_screen(CollectionGuideMenu(pane.store, self.collection_id), chosen)

    def _after_guide(self, target: Any) -> None:
        """A citation chosen in a guide: (source id, first, last) -> that transcript."""
        if target is None:
            return
        source_id, first, last = target
        self.post_message(CitationSelected(first, last, source_id=source_id))

    def action_back(self) -> None:
        self.app.pop_screen()


class CollectionGuideMenu(GuideMenuScreen):
    """The study-guide menu, listing the guides saved with the collection."""

    def __init__(self, store: ConversationStore, collection_id: int) -> None:
        super().__init__(store, 0)
        self.collection_id = collection_id

    def saved_notes(self) -> list[GuideNote]:
        return self.store.collection_guides(self.collection_id)


class CollectionGuideScreen(GuideScreen):
    """A study guide to a whole collection. Dismisses with (source id, first, last) when
    a `[Title hh:mm:ss]` citation is chosen."""

    owner = "collection"

    def __init__(
        self,
        store: ConversationStore,
        collection_id: int,
        name: str,
        transcripts: list[Transcript],
        kind: str,
        *,
        prices: dict[str, dict[str, float]] | None = None,
    ) -> None:
        super().__init__(store, transcripts[0], kind, prices=prices)
        self.collection_id = collection_id
        self.collection_name = name
        self.transcripts = transcripts

    def saved_note(self) -> GuideNote | None:
        return self.store.collection_guide(self.collection_id, self.kind.name)

    def guide_events(self, client: ChatClient) -> AsyncIterator[ChatEvent]:
        from core.chat.collection import generate_collection_guide

        return generate_collection_guide(
            self.store,
            client,
            self.collection_id,
            self.collection_name,
            self.transcripts,
            self.kind.name,
            where=ponder(self).library.conn,
        )

    def citation_target(self, first: int, last: int, source_id: int | None) -> Any:
        return None if source_id is None else (source_id, first, last)
