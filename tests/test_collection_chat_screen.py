"""Pilot tests for the collection chat (A in the library) against the fake Messages API."""

from __future__ import annotations

from core import collections
from core.chat.store import ConversationStore
from core.library import Library
from core.models import Segment, Source, Transcript
from tests.fake_claude import Cite, FakeClaude, Reply
from tests.tui_helpers import Notes, screen_text, wait_until
from tui.app import PonderApp
from tui.screens.card_editor import CardEditorScreen
from tui.screens.choice import ChoiceScreen
from tui.screens.collection_chat import CollectionChatScreen
from tui.screens.library import LibraryScreen
from tui.screens.study import StudyScreen
from tui.widgets.chat import CitationLink

SIZE = (120, 40)
SLOW = 30.0  # the first answer imports anthropic: seconds on a loaded machine


def add(library: Library, title: str, texts: list[str]) -> int:
    segments = [Segment(text, i * 10.0, (i + 1) * 10.0) for i, text in enumerate(texts)]
    return library.add(Transcript(Source(title=title, origin=title), segments)).source_id


async def test_ask_a_collection_and_open_a_citation_in_its_transcript(
    fake_claude: FakeClaude,
) -> None:
    library = Library()
    first = add(library, "Lecture 1", ["Heat is energy in transit."])
    # A long first segment: the second one starts the document's second block.
    second = add(library, "Lecture 2", ["Nothing yet. " * 30, "Entropy never decreases."])
    thermo = collections.create(library, "Thermo")
    collections.add_source(library, thermo.id, first)
    collections.add_source(library, thermo.id, second)
    fake_claude.queue(Reply.text("It grows", Cite(1, 2, " (lecture 2)", document=1), "."))
    app = PonderApp(library=library)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = app.screen
        assert isinstance(screen, LibraryScreen)
        screen.show_collection(collections.get(library, thermo.id))
        await pilot.pause()
        await pilot.press("A")
        await wait_until(pilot, lambda: isinstance(app.screen, CollectionChatScreen))
        await wait_until(pilot, lambda: app.screen.pane.input.is_mounted)
        chat = app.screen
        assert "2 transcripts: Lecture 1 · Lecture 2" in screen_text(app)
        pane = chat.pane
        pane.input.load_text("What about entropy?")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(pane.answer_views()) == 1, timeout=SLOW)
        await wait_until(pilot, lambda: not pane.is_streaming, timeout=SLOW)

        documents = [
            b for b in fake_claude.last_body["messages"][0]["content"] if b["type"] == "document"
        ]
        assert [d["title"] for d in documents] == ["Lecture 1", "Lecture 2"]
        (link,) = pane.answer_views()[0].query(CitationLink)
        assert link.citation.marker == "[Lecture 2 00:00:10]"
        store = ConversationStore(library.conn)
        (conversation,) = store.collection_conversations(thermo.id)
        assert conversation.title == "What about entropy?"

        link.focus()
        await pilot.press("enter")  # opens Lecture 2 at the cited moment
        await wait_until(pilot, lambda: isinstance(app.screen, StudyScreen))
        study = app.screen
        await wait_until(pilot, lambda: study.transcript_view.line_count)
        assert study.source_id == second and study.transcript_view.cursor == 1
        assert study.selected_range() == (1, 1, None, None)
        await pilot.press("c")  # a card of the cited passage keeps its own transcript
        await wait_until(pilot, lambda: isinstance(app.screen, CardEditorScreen))
        editor = app.screen
        assert (editor.source_id, editor.first_segment, editor.last_segment) == (second, 1, 1)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is study)
        await pilot.press("q")
        await wait_until(pilot, lambda: app.screen is chat)

        # ctrl+l lists the collection's conversations; "New conversation" starts one.
        pane.focus_input()
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        labels = app.screen.labels
        assert len(labels) == 2 and "What about entropy?" in labels[0]
        await pilot.press("j", "enter")
        await wait_until(pilot, lambda: app.screen is chat)
        await wait_until(pilot, lambda: len(store.collection_conversations(thermo.id)) == 2)
        await pilot.press("escape")  # nothing streaming: back to the library
        await wait_until(pilot, lambda: app.screen is screen)


async def test_a_without_collections_says_how_to_make_one() -> None:
    app = PonderApp(library=Library())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        notes = Notes(app)
        await pilot.pause()
        await pilot.press("A")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        assert any("No collections yet" in m for m in notes.messages)


async def test_a_study_guide_to_the_whole_collection(fake_claude: FakeClaude) -> None:
    from tui.screens.collection_chat import CollectionGuideMenu, CollectionGuideScreen

    library = Library()
    first = add(library, "Lecture 1", ["Heat is energy in transit."])
    second = add(library, "Lecture 2", ["Entropy never decreases."])
    thermo = collections.create(library, "Thermo")
    collections.add_source(library, thermo.id, first)
    collections.add_source(library, thermo.id, second)
    fake_claude.queue(Reply.text("1. **Entropy**", Cite(0, 1, " grows", document=1), "."))
    app = PonderApp(library=library)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.push_screen(CollectionChatScreen(thermo.id))
        await wait_until(pilot, lambda: isinstance(app.screen, CollectionChatScreen))
        await wait_until(pilot, lambda: app.screen.pane.input.is_mounted)
        chat = app.screen
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: isinstance(app.screen, CollectionGuideMenu))
        await pilot.press("2")  # central ideas
        await wait_until(pilot, lambda: isinstance(app.screen, CollectionGuideScreen))
        guide = app.screen
        store = ConversationStore(library.conn)
        await wait_until(pilot, lambda: store.collection_guide(thermo.id, "ideas"), timeout=SLOW)
        await wait_until(pilot, lambda: not guide.generating, timeout=SLOW)
        assert "Saved as a note of this collection" in guide.status_text
        note = store.collection_guide(thermo.id, "ideas")
        assert note.citations[0].source_id == second
        assert store.guides(first) == [] and store.guides(second) == []
        (link,) = guide.citation_row.links
        assert link.citation.marker == "[Lecture 2 00:00:00]"
        link.focus()
        await pilot.press("enter")  # the citation opens Lecture 2
        await wait_until(pilot, lambda: isinstance(app.screen, StudyScreen))
        assert app.screen.source_id == second
        await pilot.press("q")
        await wait_until(pilot, lambda: app.screen is chat)
        # Saved: opening it again sends nothing to Claude.
        requests = len(fake_claude.requests)
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: isinstance(app.screen, CollectionGuideMenu))
        await pilot.press("2")
        await wait_until(pilot, lambda: isinstance(app.screen, CollectionGuideScreen))
        await wait_until(pilot, lambda: "Saved guide" in app.screen.status_text)
        assert len(fake_claude.requests) == requests


async def test_an_empty_collection_says_so_instead_of_asking(fake_claude: FakeClaude) -> None:
    library = Library()
    empty = collections.create(library, "Empty")
    app = PonderApp(library=library)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.push_screen(CollectionChatScreen(empty.id))
        await wait_until(pilot, lambda: isinstance(app.screen, CollectionChatScreen))
        await wait_until(pilot, lambda: app.screen.pane.input.is_mounted)
        pane = app.screen.pane
        pane.input.load_text("Anything?")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "no transcripts" in pane.status_text)
        assert "0 transcripts" in screen_text(app)
        assert fake_claude.message_requests == []
