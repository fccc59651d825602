"""Ask about this card (`a` in review) through the real app with Pilot against the fake
Messages API: the modal, the grounded and cited answer, where the exchange is stored, the
prompt cache, returning to the same revealed card, and cards with nothing to discuss."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from textual.widgets import Static

from core.chat.store import ConversationStore
from core.config import Config
from core.library import Library
from decks.models import SourceRef
from decks.recall_mode import note_conversation, set_deck_free_recall
from decks.repository import CardStore
from tests.fake_claude import Cite, FakeClaude, Reply
from tests.test_decks_helpers import FakeTimer
from tests.tui_helpers import (
    Driven,
    add_transcript,
    make_segments,
    wait_until,
)
from tui import claude
from tui.app import PonderApp
from tui.screens.card_chat import CardChatPane, CardChatScreen
from tui.screens.review import ReviewScreen
from tui.widgets.chat import AnswerView, CitationLink


@dataclass
class Review(Driven):
    screen: ReviewScreen
    library: Library
    store: CardStore

    @property
    def chat(self) -> CardChatScreen:
        screen = self.app.screen
        assert isinstance(screen, CardChatScreen)
        return screen

    @property
    def pane(self) -> CardChatPane:
        return self.chat.pane

    async def reveal(self) -> None:
        await self.pilot.press("space")
        await wait_until(self.pilot, lambda: self.screen.revealed)

    async def open_chat(self) -> None:
        await self.pilot.press("a")
        await wait_until(self.pilot, lambda: isinstance(self.app.screen, CardChatScreen))
        await wait_until(self.pilot, lambda: self.pane.input.has_focus)

    async def ask(self, question: str) -> None:
        before = len(self.pane.answer_views())
        self.pane.input.load_text(question)
        await self.pilot.press("enter")
        await wait_until(
            self.pilot,
            lambda: not self.pane.is_streaming and len(self.pane.answer_views()) > before,
            timeout=30,
        )
        await self.pilot.pause()

    def logs(self) -> list[tuple[int, int, int]]:
        rows = self.store.conn.execute(
            "SELECT card_id, rating, duration_ms FROM review_log ORDER BY id"
        )
        return [tuple(row) for row in rows]


@asynccontextmanager
async def reviewing(library: Library) -> AsyncIterator[Review]:
    app = PonderApp(library=library, config=Config())
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        screen = ReviewScreen(None)
        app.push_screen(screen)
        await wait_until(pilot, lambda: app.screen is screen and screen.card is not None)
        await pilot.pause()
        yield Review(app, pilot, screen, library, CardStore(library.conn))


@pytest.fixture(autouse=True)
def quick_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(claude, "CLIENT_OPTIONS", {"max_retries": 0, "timeout": 5.0})


def card_with_source(library: Library, front: str = "What does seg 4 say?") -> tuple[int, int]:
    """(source id, note id) of a card made from segments 4-5 of a 40-segment talk."""
    source_id = add_transcript(library, make_segments(40), title="Loops talk")
    created = CardStore(library.conn).create_note(
        "basic",
        front,
        "It names delta and epsilon",
        deck="D",
        source=SourceRef(source_id, first_segment=4, last_segment=5),
    )
    return source_id, created.note.id


# -- asking -------------------------------------------------------------------------------


async def test_a_opens_a_chat_grounded_in_the_passage_and_returns_to_the_card(
    library: Library, fake_claude: FakeClaude, monkeypatch: pytest.MonkeyPatch
) -> None:
    source_id, note_id = card_with_source(library)
    fake_claude.queue(Reply.text("The passage says", Cite(4, 6, " delta matters."), " Done."))
    async with reviewing(library) as review:
        timer = FakeTimer()
        assert review.screen.session is not None
        monkeypatch.setattr(review.screen.session, "_timer", timer)
        review.screen.session._shown_at = timer.value
        card = review.screen.card
        await review.pilot.press("a")  # not before the answer is shown
        await review.pilot.pause()
        assert review.app.screen is review.screen
        assert "Show the answer first" in review.notes()[-1]
        await review.reveal()
        assert "a Ask" in review.text()
        timer.value += 5  # 5 s reading the answer
        await review.open_chat()
        text = review.text()
        assert "Ask about this card" in text and "What does seg 4 say?" in text
        assert "Loops talk" in text and "[00:00:12–00:00:18]" in text
        await review.ask("Why delta?")
        timer.value += 300  # five minutes in the chat do not count as answer time

        body = fake_claude.last_body
        first = body["messages"][0]["content"]
        assert first[0]["type"] == "document" and first[0]["cache_control"]
        question = first[-1]["text"]
        assert "What does seg 4 say?" in question and "It names delta and epsilon" in question
        assert "seg 4 " in question and "seg 5 " in question and "Why delta?" in question

        (answer,) = review.pane.answer_views()
        assert isinstance(answer, AnswerView)
        assert answer.markdown.source.startswith("The passage says delta matters.")
        links = list(answer.query(CitationLink))
        assert len(links) == 1
        links[0].focus()
        await review.pilot.press("enter")  # a citation shows the cited lines at the top
        await review.pilot.pause()
        cited = str(review.chat.query_one("#card-chat-cited", Static).render())
        citation = links[0].citation
        assert cited.startswith(f"[{citation.label}") and f"seg {citation.first_segment} " in cited

        conversation_id = note_conversation(library.conn, note_id)
        assert conversation_id is not None and review.pane.conversation_id == conversation_id
        chats = ConversationStore(library.conn, recover=False)
        conversation = chats.conversation(conversation_id)
        assert conversation is not None and conversation.source_id == source_id
        assert conversation.title.startswith("Card: What does seg 4 say?")
        stored = chats.messages(conversation_id)
        assert [m.role for m in stored] == ["user", "assistant"]
        assert stored[0].focus is not None and stored[0].focus.first_segment == 4
        assert stored[1].status == "complete" and stored[1].citations

        await review.pilot.press("escape")
        await wait_until(review.pilot, lambda: review.app.screen is review.screen)
        assert review.screen.card is card and review.screen.revealed
        timer.value += 2
        await review.pilot.press("3")
        await wait_until(review.pilot, lambda: len(review.logs()) == 1)
        assert review.logs()[0][1:] == (3, 7000)  # 5 s + 2 s, not the chat


async def test_the_chat_shows_the_cards_passage_it_calls_above(library: Library) -> None:
    """The intro says Claude reads "its passage (above)": the passage's words are there."""
    card_with_source(library)
    segments = make_segments(40)
    async with reviewing(library) as review:
        await review.reveal()
        await review.open_chat()
        passage = str(review.chat.query_one("#card-chat-passage", Static).render())
        assert "Loops talk" in passage and "[00:00:12–00:00:18]" in passage
        assert segments[4].text in passage and segments[5].text in passage
        assert segments[3].text not in passage and segments[6].text not in passage
        assert "its passage (above)" in review.text()
        assert segments[4].text[:30] in review.text()  # on screen, not only in the widget


async def test_second_question_reads_the_transcript_from_the_cache_and_the_chat_continues(
    library: Library, fake_claude: FakeClaude
) -> None:
    card_with_source(library)
    async with reviewing(library) as review:
        await review.reveal()
        await review.open_chat()
        await review.ask("First question")
        await review.ask("Second question")
        first, second = fake_claude.message_requests[-2:]
        document = first.body["messages"][0]["content"][0]
        assert document["cache_control"] == {"type": "ephemeral"}
        assert second.body["messages"][0]["content"][0] == document
        assert [m["role"] for m in second.body["messages"]] == ["user", "assistant", "user"]
        assert second.body["messages"][-1]["content"][-1]["text"] == "Second question"
        usage = [view.message.usage for view in review.pane.answer_views()]
        assert usage[0].cache_write_tokens > 0 and usage[0].cache_read_tokens == 0
        assert usage[1].cache_read_tokens == usage[0].cache_write_tokens
        conversation_id = review.pane.conversation_id

        await review.pilot.press("escape")
        await wait_until(review.pilot, lambda: review.app.screen is review.screen)
        await review.open_chat()  # the same card again: the same conversation, shown
        assert review.pane.conversation_id == conversation_id
        assert len(review.pane.answer_views()) == 2
        await review.pilot.press("escape")
        await wait_until(review.pilot, lambda: review.app.screen is review.screen)


async def test_escape_first_stops_a_streaming_answer(
    library: Library, fake_claude: FakeClaude
) -> None:
    card_with_source(library)
    fake_claude.queue(Reply.tokens(400, tokens_per_second=60))
    async with reviewing(library) as review:
        await review.reveal()
        await review.open_chat()
        review.pane.input.load_text("Tell me everything")
        await review.pilot.press("enter")
        await wait_until(review.pilot, lambda: review.pane.answer_views() != [])
        await review.pilot.press("escape")
        await wait_until(review.pilot, lambda: not review.pane.is_streaming)
        assert isinstance(review.app.screen, CardChatScreen)  # stopped, still here
        await review.pilot.press("escape")
        await wait_until(review.pilot, lambda: review.app.screen is review.screen)
        assert review.screen.revealed


async def test_without_a_key_the_chat_says_how_and_keeps_the_question(library: Library) -> None:
    _source_id, note_id = card_with_source(library)
    async with reviewing(library) as review:
        await review.reveal()
        await review.open_chat()
        assert "No Anthropic API key" in review.pane.status_text
        review.pane.input.load_text("Kept for later?")
        await review.pilot.press("enter")
        await wait_until(review.pilot, lambda: not review.pane.is_streaming)
        await review.pilot.pause()
        conversation_id = note_conversation(library.conn, note_id)
        assert conversation_id is not None
        stored = ConversationStore(library.conn, recover=False).messages(conversation_id)
        assert [m.status for m in stored] == ["draft"] and "Kept for later?" in stored[0].content


async def test_free_recall_and_the_card_chat_together(
    library: Library, fake_claude: FakeClaude
) -> None:
    card_with_source(library)
    set_deck_free_recall(library.conn, CardStore(library.conn).decks()[0].id, True)
    fake_claude.queue(  # the recall_grade tool's input (a forced, strict tool)
        Reply.json({"right": "Delta.", "missing": "Epsilon.", "rating": 2, "sources": []})
    )
    async with reviewing(library) as review:
        box = review.screen.query_one("#recall-input")
        await wait_until(review.pilot, lambda: box.has_focus)
        await review.pilot.press("d", "e", "l", "t", "a", "enter")
        await wait_until(review.pilot, lambda: review.screen.feedback is not None, timeout=30)
        await review.open_chat()
        await review.ask("What about epsilon?")
        await review.pilot.press("escape")
        await wait_until(review.pilot, lambda: review.app.screen is review.screen)
        assert "Suggested: Hard (2)" in review.text()
        await review.pilot.press("4")
        await wait_until(review.pilot, lambda: len(review.logs()) == 1)
        row = review.store.conn.execute("SELECT rating, answer_text FROM review_log").fetchone()
        assert tuple(row) == (4, "delta")


# -- nothing to discuss ---------------------------------------------------------------------


async def test_cards_without_a_transcript_say_so(library: Library) -> None:
    store = CardStore(library.conn)
    store.create_note("basic", "Typed by hand", "back", deck="A")
    source_id = add_transcript(library, make_segments(5), title="Gone talk")
    store.create_note(
        "basic", "From a talk", "back", deck="B", source=SourceRef(source_id, first_segment=1)
    )
    library.remove(source_id)
    async with reviewing(library) as review:
        for _ in range(2):
            await review.reveal()
            await review.pilot.press("a")
            await review.pilot.pause()
            assert review.app.screen is review.screen
            await review.pilot.press("3")
            await review.pilot.pause()
        notes = review.notes()
    assert any("typed by hand: it has no source transcript to discuss" in n for n in notes)
    assert any("“Gone talk” was deleted: there is nothing to discuss" in n for n in notes)
