"""The chat pane for a collection: the same pane, asking about every transcript at once.

It overrides what the pane is about (its conversations are the collection's) and the
service call that answers (`core.chat.collection.ask_collection`: one cited document per
transcript). Its citations carry their transcript's source id, so `CitationSelected`
tells the screen which transcript to open; a passage the learner includes (`ask_about`
with a Focus naming its transcript) is labelled with that transcript's title. The
conversation list is the screen's to show (widgets do not open screens):
`ConversationsWanted` asks for it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from textual.message import Message

from core.chat.models import ChatEvent, Conversation, Focus
from core.models import Transcript
from tui.context import ponder
from tui.widgets.chat.pane import ChatPane

if TYPE_CHECKING:
    from core.chat.client import ChatClient

COLLECTION_INTRO = (
    "Chat with Claude about every transcript of this collection. Answers cite them as "
    "[Title hh:mm:ss]: activate a link to open that transcript at that moment. ctrl+f "
    "finds a passage to include with your next question."
)


class CollectionChatPane(ChatPane):
    """Chat about a collection; conversations are stored with the collection."""

    DEFAULT_CSS = """
    CollectionChatPane { height: 1fr; width: 1fr; }
    """
    intro = COLLECTION_INTRO
    ask_hint = "Ask about the collection…"

    class ConversationsWanted(Message):
        """The learner asked for the collection's conversation list (ctrl+l)."""

    def __init__(
        self,
        collection_id: int,
        transcripts: list[Transcript],
        *,
        id: str | None = "chat",
    ) -> None:
        first = transcripts[0].source.id if transcripts else 0
        super().__init__(int(first or 0), transcript=transcripts[0] if transcripts else None, id=id)
        self.collection_id = collection_id
        self.transcripts = transcripts

    def send(self, question: str, focus: Focus | None = None) -> None:
        if not self.transcripts:
            self.set_status(
                "This collection has no transcripts: add some in the library (+).", "error"
            )
            return
        super().send(question, focus)

    def transcript(self) -> Transcript | None:
        """Any transcript (the pane only checks that there is one to ask about)."""
        return self.transcripts[0] if self.transcripts else None

    def focus_label(self, focus: Focus | None) -> str | None:
        """`Title 00:01:00–00:01:30`: which transcript a selected passage is in, and where."""
        from core.chat.collection import focus_labeller

        return None if focus is None else focus_labeller(self.transcripts)(focus)

    def conversations(self) -> list[Conversation]:
        return self.store.collection_conversations(self.collection_id)

    def start_conversation(self) -> int:
        return self.store.create_for_collection(self.collection_id).id

    def owns(self, conversation: Conversation) -> bool:
        return conversation.collection_id == self.collection_id

    def answer_events(
        self, client: ChatClient, transcript: Transcript, conversation_id: int
    ) -> AsyncIterator[ChatEvent]:
        from core.chat.collection import ask_collection

        return ask_collection(
            self.store,
            client,
            self.transcripts,
            conversation_id,
            None,
            where=ponder(self).library.conn,
        )

    def show_conversations(self) -> None:
        if self._busy:
            self.notify("Stop the answer first (Esc).", severity="warning", markup=False)
            return
        self.post_message(self.ConversationsWanted())


__all__ = ["COLLECTION_INTRO", "CollectionChatPane"]
