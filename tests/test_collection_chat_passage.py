"""Including a passage in a collection's chat (ctrl+f): Pilot against the fake Messages API."""

from __future__ import annotations

from core import collections
from core.chat.models import Focus
from core.chat.store import ConversationStore
from core.library import Library
from core.models import Segment, Source, Transcript
from tests.fake_claude import FakeClaude, Reply, all_document_blocks
from tests.tui_helpers import Notes, screen_text, wait_until
from tui.app import PonderApp
from tui.screens.collection_chat import CollectionChatScreen
from tui.screens.help import BindingCommands
from tui.screens.search_all import PickPassageScreen

SIZE = (120, 40)
SLOW = 30.0  # the first answer imports anthropic: seconds on a loaded machine
ID = "collection_chat.passage"
FILLER = "Plain words about nothing in particular, said slowly and at some length here."


def add(library: Library, title: str, texts: list[str]) -> int:
    segments = [Segment(text, i * 10.0, (i + 1) * 10.0) for i, text in enumerate(texts)]
    return library.add(Transcript(Source(title=title, origin=title), segments)).source_id


def course(library: Library, filler: int = 0) -> tuple[int, int, int]:
    """Thermo: Lecture 1 and Lecture 2 (Boltzmann in its third segment, after `filler`
    segments of filler)."""
    first = add(library, "Lecture 1", ["Heat is energy in transit.", *[FILLER] * filler])
    second = add(
        library,
        "Lecture 2",
        [*[FILLER] * filler, "Entropy never decreases.", "In a closed system.", "Boltzmann wrote."],
    )
    thermo = collections.create(library, "Thermo")
    collections.add_source(library, thermo.id, first)
    collections.add_source(library, thermo.id, second)
    return thermo.id, first, second


async def open_chat(app: PonderApp, pilot, collection_id: int) -> CollectionChatScreen:
    app.push_screen(CollectionChatScreen(collection_id))
    await wait_until(pilot, lambda: isinstance(app.screen, CollectionChatScreen))
    await wait_until(pilot, lambda: app.screen.pane.input.is_mounted)
    return app.screen


async def pick(pilot, query: str) -> PickPassageScreen:
    """ctrl+f, type `query`, wait for its results (Enter is the caller's)."""
    await pilot.press("ctrl+f")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, PickPassageScreen))
    picker = pilot.app.screen
    await pilot.press(*query)
    await wait_until(pilot, lambda: picker.query_shown == query and picker.hits)
    return picker


def last_question(body: dict) -> str:
    return body["messages"][-1]["content"][-1]["text"]


def esc_says(screen: CollectionChatScreen) -> str:
    """What the footer says Esc does (the first enabled binding of the key)."""
    return screen.active_bindings["escape"].binding.description


async def test_a_passage_found_in_the_collection_goes_with_the_next_question(
    fake_claude: FakeClaude,
) -> None:
    library = Library()
    thermo, _first, second = course(library)
    fake_claude.queue(Reply.text("He wrote it down."), Reply.text("Heat moves."))
    app = PonderApp(library=library)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        chat = await open_chat(app, pilot, thermo)
        pane = chat.pane
        picker = await pick(pilot, "boltzmann")
        assert [(h.source_id, h.segment) for h in picker.hits] == [(second, 3)]
        assert "Enter includes it" in screen_text(app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is chat)
        # Shown above the input: which transcript, where, and the passage.
        assert pane.pending_focus == Focus(2, 2, "Boltzmann wrote.", source_id=second)
        assert "About Lecture 2 00:00:20–00:00:30: “Boltzmann wrote.”" in screen_text(app)
        assert pane.input.has_focus
        await pilot.press(*"Who?", "enter")
        await wait_until(pilot, lambda: len(pane.answer_views()) == 1, timeout=SLOW)
        await wait_until(pilot, lambda: not pane.is_streaming, timeout=SLOW)

        sent = last_question(fake_claude.last_body)
        assert "(Lecture 2 00:00:20–00:00:30)" in sent
        assert "<passage>\nBoltzmann wrote.\n</passage>" in sent and sent.endswith("Who?")
        store = ConversationStore(library.conn)
        (conversation,) = store.collection_conversations(thermo)
        question = store.messages(conversation.id)[0]
        assert question.focus == Focus(2, 2, "Boltzmann wrote.", source_id=second)
        assert pane.pending_focus is None  # sent once, then gone
        assert "About the passage Lecture 2 00:00:20–00:00:30" in screen_text(app)

        # Chosen, then removed with Esc: the next question goes without it.
        await pick(pilot, "heat")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is chat and pane.pending_focus is not None)
        assert esc_says(chat) == "Drop passage"  # the footer names what Esc does now
        await pilot.press("escape")
        assert pane.pending_focus is None and app.screen is chat
        assert esc_says(chat) == "Back"
        await pilot.press(*"And heat?", "enter")
        await wait_until(pilot, lambda: len(pane.answer_views()) == 2, timeout=SLOW)
        await wait_until(pilot, lambda: not pane.is_streaming, timeout=SLOW)
        assert last_question(fake_claude.last_body) == "And heat?"


async def test_esc_in_the_picker_includes_nothing_and_only_the_collection_is_searched(
    fake_claude: FakeClaude,
) -> None:
    library = Library()
    thermo, _first, _second = course(library)
    add(library, "Outside", ["Boltzmann again, in another talk."])
    app = PonderApp(library=library)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        chat = await open_chat(app, pilot, thermo)
        picker = await pick(pilot, "boltzmann")
        assert [h.title for h in picker.hits] == ["Lecture 2"]
        await pilot.press("ctrl+t")  # the search screen's "everywhere": not here
        await pilot.pause()
        assert picker.scoped and [h.title for h in picker.hits] == ["Lecture 2"]
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is chat)
        assert chat.pane.pending_focus is None and chat.pane.input.has_focus
        assert fake_claude.message_requests == []


async def test_the_key_is_listed_and_an_empty_collection_has_no_passage_to_pick() -> None:
    library = Library()
    empty = collections.create(library, "Empty")
    app = PonderApp(library=library)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        notes = Notes(app)
        chat = await open_chat(app, pilot, empty.id)
        # In the footer and the command palette, under its rebindable id.
        binding = next(b.binding for b in chat.active_bindings.values() if b.binding.id == ID)
        assert (binding.key, binding.description) == ("ctrl+f", "Passage")
        assert "Passage" in {name for name, *_ in BindingCommands(chat)._commands()}
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: any("no transcripts" in m for m in notes.messages))
        assert app.screen is chat


async def test_over_the_budget_the_included_passage_is_among_the_excerpts(
    fake_claude: FakeClaude,
) -> None:
    """A collection over the token budget sends the passages the index ranks best for the
    question, and the one the learner included, though the question does not mention it."""
    library = Library()
    # Over 150,000 characters (the default budget) and, at one token a character, tokens.
    thermo, _first, _second = course(library, filler=1000)
    fake_claude.tokens_per_char = 1.0
    app = PonderApp(library=library)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        chat = await open_chat(app, pilot, thermo)
        pane = chat.pane
        await pick(pilot, "boltzmann")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is chat and pane.pending_focus is not None)
        await pilot.press(*"What is heat?", "enter")
        await wait_until(pilot, lambda: len(pane.answer_views()) == 1, timeout=SLOW)
        await wait_until(pilot, lambda: not pane.is_streaming, timeout=SLOW)

        documents = [
            b for b in fake_claude.last_body["messages"][0]["content"] if b["type"] == "document"
        ]
        assert [d["title"] for d in documents] == ["Lecture 1", "Lecture 2"]
        assert all("excerpts only" in d["context"] for d in documents)
        blocks = all_document_blocks(fake_claude.last_body)
        assert any("Heat is energy" in b for b in blocks[0])  # ranked best for the question
        assert any("Boltzmann wrote." in b for b in blocks[1])  # the included passage
        answer = ConversationStore(library.conn).messages(pane.conversation_id)[-1]
        # Segment 0 of Lecture 1 with its context; the passage (segment 1002, at 10 s a
        # segment) with the context before it (the transcript ends there).
        assert answer.content.endswith(
            "only these passages: Lecture 1 (00:00:00–00:00:40); Lecture 2 (02:46:40–02:47:10).]"
        )
