"""The card browser with Pilot: filters (text, deck, tag, every state), the detail panel
(FSRS memory state, source, history), edit, delete, move, suspend, reset, paging."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import timedelta

from textual.keys import _character_to_key

from core import clock
from core.library import Library
from decks.models import CardState, SourceRef
from decks.repository import CardFilter, CardStore, NoteDraft
from tests.tui_helpers import (
    Driven,
    add_transcript,
    make_segments,
    screen_text,
    send_burst,
    wait_until,
)
from tui.app import PonderApp
from tui.screens.browse import PAGE_SIZE, BrowseScreen, DeckPrompt
from tui.screens.card_editor import CardEditorScreen
from tui.screens.confirm import ConfirmScreen


@dataclass
class Collection:
    library: Library
    store: CardStore
    source_id: int
    ids: dict[str, int]  # name -> card id


def review(
    store: CardStore,
    card_id: int,
    state: CardState,
    *,
    due_in: timedelta,
    stability: float,
    difficulty: float,
    rating: int = 3,
    ago: timedelta = timedelta(days=2),
) -> None:
    """Record one review that leaves the card in `state` (through the real store call)."""
    before = store.get_card(card_id)
    assert before is not None
    reviewed_at = clock.now() - ago
    after = replace(
        before,
        state=state,
        step=0 if state != CardState.REVIEW else None,
        stability=stability,
        difficulty=difficulty,
        due=clock.now() + due_in,
        last_review=reviewed_at,
        reps=before.reps + 1,
    )
    store.record_review(before, after, rating, reviewed_at, 4200)


def build_collection() -> Collection:
    """Cards in every state, in two decks, with tags and a source."""
    library = Library()
    store = CardStore(library.conn)
    source_id = add_transcript(library, make_segments(30), title="Photosynthesis talk")
    ref = SourceRef(source_id, None, 4, 6)
    ids: dict[str, int] = {}

    def add(
        name: str, front: str, deck: str, tags: str = "", source: SourceRef | None = ref
    ) -> int:
        created = store.create_note(
            "basic", front, f"answer {name}", deck=deck, tags=tags, source=source
        )
        ids[name] = created.cards[0].id
        return created.note.id

    add("new", "What does chlorophyll absorb?", "Biology::Plants", "exam")
    add("learning", "Where does the light reaction happen?", "Biology::Plants")
    add("review", "What is photosynthesis for?", "Biology", "exam")
    add("due", "What gas do plants release?", "Biology")
    add("suspended", "A suspended question", "Chemistry")
    leech_note = add("leech", "A hard question", "Chemistry")
    add("markup", "[bold]not bold[/] \x1b[31m", "Chemistry", source=None)
    store.add_tags([leech_note], "leech")
    review(
        store,
        ids["learning"],
        CardState.LEARNING,
        due_in=timedelta(minutes=10),
        stability=0.5,
        difficulty=6.0,
        ago=timedelta(minutes=1),
    )
    review(
        store,
        ids["review"],
        CardState.REVIEW,
        due_in=timedelta(days=30),
        stability=40.0,
        difficulty=4.25,
        rating=4,
    )
    review(
        store,
        ids["due"],
        CardState.REVIEW,
        due_in=timedelta(minutes=5),
        stability=3.0,
        difficulty=7.0,
        ago=timedelta(days=3),
    )
    review(
        store,
        ids["due"],
        CardState.REVIEW,
        due_in=timedelta(minutes=5),
        stability=3.5,
        difficulty=7.1,
        ago=timedelta(days=1),
    )
    store.set_suspended([ids["suspended"]])
    return Collection(library, store, source_id, ids)


@dataclass
class Session(Driven):
    screen: BrowseScreen
    data: Collection

    def shown(self) -> list[int]:
        return [view.card.id for view in self.screen.views]

    def names(self) -> set[str]:
        by_id = {card_id: name for name, card_id in self.data.ids.items()}
        return {by_id.get(card_id, str(card_id)) for card_id in self.shown()}

    async def settle(self, predicate) -> None:  # type: ignore[no-untyped-def]
        await wait_until(self.pilot, predicate)

    def cursor_to(self, name: str) -> None:
        index = self.shown().index(self.data.ids[name])
        self.screen.table.move_cursor(row=index, animate=False)


@asynccontextmanager
async def open_browse(
    data: Collection | None = None, *, deck: str | None = None, size: tuple[int, int] = (150, 40)
) -> AsyncIterator[Session]:
    data = data or build_collection()
    deck_id = None
    if deck is not None:
        found = data.store.deck_by_name(deck)
        assert found is not None
        deck_id = found.id
    app = PonderApp(library=data.library)
    async with app.run_test(size=size, notifications=True) as pilot:
        screen = BrowseScreen(deck_id)
        app.push_screen(screen)
        await wait_until(pilot, lambda: app.screen is screen and screen.is_mounted)
        await pilot.pause()
        yield Session(app, pilot, screen, data)


async def type_into(session: Session, text: str) -> None:
    send_burst(session.app, [(_character_to_key(c), c) for c in text])
    await session.pilot.pause()


# -- filters -----------------------------------------------------------------------------------


async def test_opens_on_one_deck_with_its_subdecks() -> None:
    async with open_browse(deck="Biology") as session:
        assert session.names() == {"new", "learning", "review", "due"}
        assert session.screen.deck_select.value == session.data.store.deck_by_name("Biology").id
        assert "4 cards" in session.screen.status_text
        assert session.screen.table.has_focus


async def test_all_decks_and_deck_select() -> None:
    async with open_browse() as session:
        assert len(session.shown()) == 7
        chemistry = session.data.store.deck_by_name("Chemistry")
        session.screen.deck_select.value = chemistry.id
        await session.settle(lambda: session.names() == {"suspended", "leech", "markup"})


async def test_text_search_and_the_filter_syntax() -> None:
    async with open_browse() as session:
        await session.pilot.press("slash")
        assert session.screen.search_input.has_focus
        await type_into(session, "plants release")
        await session.settle(lambda: session.names() == {"due"})
        session.screen.search_input.value = "tag:exam"
        await session.settle(lambda: session.names() == {"new", "review"})
        session.screen.search_input.value = "is:bogus"
        await session.settle(lambda: "is:bogus is not a state" in session.screen.status_text)
        assert session.names() == {"new", "review"}  # the last good result stays
        await session.pilot.press("escape")  # leaves the search box, not the screen
        assert session.screen.table.has_focus and session.app.screen is session.screen


async def test_tag_box_filters() -> None:
    async with open_browse() as session:
        session.screen.tag_input.value = "exam"
        await session.settle(lambda: session.names() == {"new", "review"})
        session.screen.tag_input.value = "nosuchtag"
        await session.settle(lambda: session.shown() == [])
        assert "No card matches." in session.screen.status_text


async def test_state_filters_including_leech_suspended_and_due_today() -> None:
    expected = {
        "new": {"new", "leech", "markup"},
        "learning": {"learning"},
        "review": {"review", "due"},
        "suspended": {"suspended"},
        "leech": {"leech"},
        "due": {"learning", "due"},
    }
    async with open_browse() as session:
        for state, names in expected.items():
            session.screen.state_select.value = state
            await session.settle(lambda names=names: session.names() == names)


# -- the detail panel ----------------------------------------------------------------------


async def test_detail_shows_memory_state_source_and_history() -> None:
    async with open_browse() as session:
        session.cursor_to("due")
        await session.settle(lambda: "What gas do plants release?" in session.screen.detail_text)
        detail = session.screen.detail_text
        words = " ".join(detail.split())
        assert "stab. · diff. 3.50 d · 7.10/10" in words
        recall = next(line for line in detail.splitlines() if "recall now" in line)
        assert "%" in recall and "–" not in recall
        assert "Photosynthesis talk · 00:00:12 · segments 5–7" in detail
        assert "History (2 reviews)" in detail
        assert detail.count("Good") == 2
        assert "reviews 2 · lapses 0" in words
        session.cursor_to("new")
        await session.settle(lambda: "chlorophyll" in session.screen.detail_text)
        assert "no reviews yet" in session.screen.detail_text
        assert "recall now –" in " ".join(session.screen.detail_text.split())


async def test_detail_says_source_gone_after_the_transcript_is_deleted() -> None:
    data = build_collection()
    data.library.remove(data.source_id)
    async with open_browse(data) as session:
        session.cursor_to("review")
        await session.settle(lambda: "source gone" in session.screen.detail_text)
        assert "source gone (was Photosynthesis talk)" in session.screen.detail_text


async def test_untrusted_card_text_is_shown_literally() -> None:
    async with open_browse() as session:
        session.cursor_to("markup")
        await session.pilot.pause()
        shown = screen_text(session.app)
        assert "[bold]not bold[/]" in shown
        assert "\x1b" not in shown and "␛" in shown
        assert "typed by hand" in session.screen.detail_text


# -- actions -----------------------------------------------------------------------------------


async def test_edit_opens_the_editor_and_shows_the_change() -> None:
    async with open_browse() as session:
        session.cursor_to("review")
        await session.pilot.press("e")
        await session.settle(lambda: isinstance(session.app.screen, CardEditorScreen))
        editor = session.app.screen
        assert isinstance(editor, CardEditorScreen)
        await session.settle(lambda: editor.front_area.text == "What is photosynthesis for?")
        editor.front_area.load_text("What is photosynthesis for, really?")
        await session.pilot.press("ctrl+s")
        await session.settle(lambda: session.app.screen is session.screen)
        await session.settle(lambda: "really?" in session.screen.detail_text)
        assert session.screen.current.card.id == session.data.ids["review"]
        assert session.data.store.card_view(session.data.ids["review"]).front.endswith("really?")


async def test_delete_asks_first_and_no_keeps_the_card() -> None:
    async with open_browse() as session:
        session.cursor_to("due")
        await session.pilot.press("d")
        await session.settle(lambda: isinstance(session.app.screen, ConfirmScreen))
        await session.pilot.press("n")
        await session.settle(lambda: session.app.screen is session.screen)
        assert session.data.ids["due"] in session.shown()
        await session.pilot.press("delete")
        await session.settle(lambda: isinstance(session.app.screen, ConfirmScreen))
        await session.pilot.press("y")
        await session.settle(lambda: session.data.ids["due"] not in session.shown())
        assert session.data.store.get_card(session.data.ids["due"]) is None
        assert session.data.store.review_logs(session.data.ids["due"]) == []
        assert len(session.shown()) == 6


async def test_move_to_a_new_nested_deck_with_completion() -> None:
    async with open_browse() as session:
        session.cursor_to("new")
        await session.pilot.press("m")
        await session.settle(lambda: isinstance(session.app.screen, DeckPrompt))
        prompt = session.app.screen
        assert isinstance(prompt, DeckPrompt)
        assert prompt.input.value == "Biology::Plants"
        prompt.input.value = ""
        await type_into(session, "Chem")
        await session.settle(lambda: prompt.input._suggestion == "Chemistry")
        await session.pilot.press("right")  # accept the completion
        await type_into(session, "::Organic")
        await session.pilot.press("enter")
        await session.settle(lambda: session.app.screen is session.screen)
        view = session.data.store.card_view(session.data.ids["new"])
        assert view.deck_name == "Chemistry::Organic"
        await session.settle(lambda: "Chemistry::Organic" in session.screen.detail_text)


async def test_move_refuses_a_bad_deck_name_in_the_prompt() -> None:
    async with open_browse() as session:
        session.cursor_to("new")
        await session.pilot.press("m")
        await session.settle(lambda: isinstance(session.app.screen, DeckPrompt))
        prompt = session.app.screen
        prompt.input.value = "A::::B"
        await session.pilot.press("enter")
        await session.pilot.pause()
        assert session.app.screen is prompt
        assert "not a deck name" in screen_text(session.app)


async def test_suspend_toggles() -> None:
    async with open_browse() as session:
        card_id = session.data.ids["review"]
        session.cursor_to("review")
        await session.pilot.press("exclamation_mark")
        await session.settle(lambda: session.data.store.get_card(card_id).suspended)
        assert "Suspended." in session.notes()
        await session.settle(
            lambda: "state · due suspended" in " ".join(session.screen.detail_text.split())
        )
        await session.pilot.press("exclamation_mark")
        await session.settle(lambda: not session.data.store.get_card(card_id).suspended)
        assert "Unsuspended." in session.notes()


async def test_reset_asks_then_makes_the_card_new_and_keeps_history() -> None:
    async with open_browse() as session:
        card_id = session.data.ids["review"]
        session.cursor_to("review")
        await session.pilot.press("R")
        await session.settle(lambda: isinstance(session.app.screen, ConfirmScreen))
        await session.pilot.press("y")
        await session.settle(lambda: session.data.store.get_card(card_id).state == CardState.NEW)
        card = session.data.store.get_card(card_id)
        assert card.stability is None and card.difficulty is None
        assert len(session.data.store.review_logs(card_id)) == 1
        await session.settle(
            lambda: "state · due new" in " ".join(session.screen.detail_text.split())
        )


async def test_actions_do_nothing_on_an_empty_list() -> None:
    async with open_browse() as session:
        session.screen.search_input.value = "nothing matches this"
        await session.settle(lambda: session.shown() == [])
        session.screen.table.focus()
        await session.pilot.press("d", "m", "R", "exclamation_mark", "e")
        assert session.app.screen is session.screen


# -- paging ----------------------------------------------------------------------------------


async def test_only_a_page_is_loaded_and_more_come_while_scrolling() -> None:
    library = Library()
    store = CardStore(library.conn)
    total = PAGE_SIZE * 2 + 50
    store.create_notes_bulk(
        [NoteDraft("basic", f"bulk question {i}", "a", deck="Bulk") for i in range(total)]
    )
    data = Collection(library, store, 0, {})
    async with open_browse(data, deck="Bulk") as session:
        assert len(session.shown()) == PAGE_SIZE
        assert f"{total:,} cards · {PAGE_SIZE} loaded" in session.screen.status_text
        await session.pilot.press("ctrl+end")
        await session.settle(lambda: len(session.shown()) >= PAGE_SIZE * 2)
        await session.pilot.press("ctrl+end")
        await session.pilot.press("ctrl+end")
        await session.settle(lambda: len(session.shown()) == total)
        assert session.shown() == [
            v.card.id
            for v in store.search(
                CardFilter(deck_id=store.deck_by_name("Bulk").id), rollover_hour=4
            )
        ]
        assert session.screen.status_text.startswith(f"{total:,} cards")


async def test_open_browse_with_a_search_and_not_twice() -> None:
    from tui.screens.browse import open_browse

    data = build_collection()
    app = PonderApp(library=data.library)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        open_browse(app, search=f"source:{data.source_id} tag:exam")
        await wait_until(pilot, lambda: isinstance(app.screen, BrowseScreen) and app.screen.views)
        screen = app.screen
        assert isinstance(screen, BrowseScreen)
        assert {view.card.id for view in screen.views} == {data.ids["new"], data.ids["review"]}
        depth = len(app.screen_stack)
        open_browse(app)
        await pilot.pause()
        assert app.screen is screen and len(app.screen_stack) == depth
        await pilot.press("escape")  # the table has the focus: Esc leaves the screen
        await wait_until(pilot, lambda: not isinstance(app.screen, BrowseScreen))


async def test_at_120x35_the_detail_shows_the_source_and_history_and_decks_fit_at_200() -> None:
    """The panel under the table (narrow layout) is not cut off before the source and the
    history, even for a card with long sides; wide screens show long deck names whole."""
    from tests.tui_helpers import screen_text

    data = build_collection()
    long_side = " ".join(["a long answer that goes on"] * 20)
    data.store.create_note(
        "basic", "Long card " + long_side, long_side, deck="Biology::Plants::Photosynthesis"
    )
    async with open_browse(data, size=(120, 35)) as session:
        session.cursor_to("due")
        await session.settle(lambda: "History (2 reviews)" in screen_text(session.app))
        text = screen_text(session.app)
        assert "Photosynthesis talk · 00:00:12" in text and "Good" in text
        long_card = next(v.card.id for v in session.screen.views if "Long card" in v.front)
        session.screen.table.move_cursor(row=session.shown().index(long_card), animate=False)
        await session.settle(lambda: "History (0 reviews)" in screen_text(session.app))
    async with open_browse(data, size=(200, 40)) as session:
        await session.pilot.pause()
        assert "Biology::Plants::Photosynthesis" in screen_text(session.app)
