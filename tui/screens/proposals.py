"""`C` on the study screen: Claude proposes up to 3 cards, the learner decides each one.

`ProposalsScreen(context)` asks Claude in a worker, showing "Asking Claude for cards…"
(Esc cancels the request). Then it opens the card editor for each proposal in turn:
ctrl+s accepts (after any edits), ctrl+n or Esc skips. Nothing is saved without that
keypress. At the end a notification says "2 cards added, 1 skipped".

Without a key, offline, or when Claude's answer is not usable JSON, the reason is shown
(one line) and the manual editor opens in place of the proposals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import LoadingIndicator, Static

from core.textsafe import inert_line
from tui.context import ponder
from tui.screens.card_editor import CardContext, CardEditorScreen, context_from_study

if TYPE_CHECKING:
    from core.chat.client import ChatClient
    from core.models import Transcript
    from decks.proposals import Proposal
    from tui.screens.study_host import StudyHost

ASKING = "Asking Claude for cards…"


def summary(added: int, skipped: int) -> str:
    """`2 cards added, 1 skipped`."""
    return f"{added} card{'s' if added != 1 else ''} added, {skipped} skipped."


class ProposalsScreen(ModalScreen[None]):
    """Ask Claude for cards about a passage, then review them one by one in the editor."""

    HELP_GROUP = "Proposed cards"

    BINDINGS: list[BindingType] = [
        Binding("escape", "cancel", "Cancel", id="proposals.cancel"),
    ]

    DEFAULT_CSS = """
    ProposalsScreen > #proposals-dialog { width: 60; height: auto; }
    ProposalsScreen #proposals-status { text-style: bold; }
    ProposalsScreen LoadingIndicator { height: 1; margin: 1 0; }
    ProposalsScreen #proposals-hint { color: $text-muted; }
    """

    def __init__(self, context: CardContext, *, transcript: Transcript | None = None) -> None:
        super().__init__()
        self.context = context
        self.transcript = transcript
        self.proposals: list[Proposal] = []
        self.position = 0
        self.added = 0
        self.skipped = 0
        self.asking = False
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="proposals-dialog", classes="dialog") as dialog:
            dialog.border_title = "Proposed cards"
            yield Static(Content(ASKING), id="proposals-status")
            yield LoadingIndicator()
            yield Static(
                Content("Esc cancels · nothing is saved until you accept a card"),
                id="proposals-hint",
            )

    @property
    def status_text(self) -> str:
        return str(self.query_one("#proposals-status", Static).render())

    def on_mount(self) -> None:
        from core.chat.errors import ChatError
        from tui.claude import chat_client

        context = self.context
        if self.transcript is None and context.source_id is not None:
            self.transcript = ponder(self).library.transcript(context.source_id)
        transcript = self.transcript
        if transcript is None or context.first_segment is None or not transcript.segments:
            self.fall_back("This passage's transcript is gone: write the card yourself.")
            return
        try:
            client = chat_client(ponder(self).config)
        except ChatError as error:
            self.fall_back(str(error))
            return
        self.asking = True
        self.ask(client, transcript, self._language_hint(transcript))

    def _language_hint(self, transcript: Transcript) -> str:
        import sqlite3

        from decks.models import SourceRef
        from decks.proposals import language_hint
        from decks.repository import CardStore

        store = CardStore(ponder(self).library.conn)
        try:
            deck = store.default_deck_name(SourceRef(transcript.source.id, transcript.source.title))
            return language_hint(store, deck, transcript)
        except (sqlite3.Error, ValueError):
            return language_hint(None, None, transcript)

    @work(exclusive=True, group="proposals", exit_on_error=False)
    async def ask(self, client: ChatClient, transcript: Transcript, language: str) -> None:
        from core.chat.errors import ChatError
        from decks.proposals import ProposalError, propose_cards

        context = self.context
        first = context.first_segment or 0
        last = context.last_segment if context.last_segment is not None else first
        try:
            proposals = await propose_cards(client, transcript, first, last, language)
        except (ChatError, ProposalError) as error:
            self.asking = False
            self.fall_back(str(error))
            return
        except Exception as error:  # a bug or an unforeseen failure: never hang here
            self.asking = False
            self.fall_back(f"Could not get proposed cards ({type(error).__name__}: {error}).")
            return
        finally:
            await client.aclose()
        self.asking = False
        self.proposals = proposals
        self.next_proposal()

    def fall_back(self, reason: str) -> None:
        """Say why there are no proposals and open the manual editor instead."""
        self.error = reason
        self.notify(
            inert_line(reason) + " The manual editor is open.",
            title="No proposed cards",
            severity="warning",
            timeout=10,
            markup=False,
        )
        self.app.switch_screen(CardEditorScreen(**self.context.editor_kwargs()))

    def next_proposal(self) -> None:
        """Open the editor on the next proposal, or finish with the summary."""
        if self.position >= len(self.proposals):
            self.notify(summary(self.added, self.skipped), markup=False)
            self.dismiss(None)
            return
        total = len(self.proposals)
        number = self.position + 1
        self.query_one("#proposals-status", Static).update(Content(f"Proposal {number} of {total}"))
        self.query_one(LoadingIndicator).display = False
        editor = CardEditorScreen(
            **self.context.editor_kwargs(),
            proposal=self.proposals[self.position],
            heading=f"Proposed card {number} of {total} · ctrl+s accept · ctrl+n skip",
            skippable=True,
        )
        self.app.push_screen(editor, self._decided)

    def _decided(self, note_id: int | None) -> None:
        if note_id is None:
            self.skipped += 1
        else:
            self.added += 1
        self.position += 1
        self.next_proposal()

    def action_cancel(self) -> None:
        """Esc while asking: stop the request; nothing was proposed, nothing saved."""
        if self.asking:
            self.workers.cancel_group(self, "proposals")
            self.asking = False
            self.notify("Stopped asking Claude: no cards were proposed.", markup=False)
        self.dismiss(None)


def open_proposals(screen: StudyHost) -> None:
    """`C` on the study screen: proposals for the selection, highlight or cursor segment."""
    context = context_from_study(screen)
    if context is None:
        screen.app.notify(
            "There is no passage to make cards from.", severity="warning", markup=False
        )
        return
    screen.app.push_screen(ProposalsScreen(context, transcript=screen.current_transcript))


__all__ = ["ASKING", "ProposalsScreen", "open_proposals", "summary"]
