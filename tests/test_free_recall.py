"""Free recall in review, through the real app with Pilot (Claude is the fake Messages API):
the session and deck toggles, typing and checking, Claude's comparison and suggestion,
the learner's key deciding, self-grading without a key, the typed answer in the log."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from textual.widgets import Button, Static

from core.config import Config
from core.library import Library
from decks.models import NoteKind, SourceRef
from decks.recall_mode import (
    deck_free_recall,
    free_recall_decks,
    link_note_conversation,
    note_conversation,
    set_deck_free_recall,
)
from decks.repository import CardStore, NoteDraft
from tests.fake_claude import FakeClaude, Reply
from tests.tui_helpers import (
    Driven,
    add_transcript,
    make_segments,
    wait_until,
)
from tui import claude
from tui.app import PonderApp
from tui.screens.review import NO_KEY_NOTE, NOTHING_TYPED, RecallInput, ReviewScreen


@dataclass
class Review(Driven):
    screen: ReviewScreen
    store: CardStore

    @property
    def box(self) -> RecallInput:
        return self.screen.query_one(RecallInput)

    def feedback(self) -> str:
        return str(self.screen.query_one("#recall-feedback", Static).render())

    def typed(self) -> str:
        return str(self.screen.query_one("#recall-typed", Static).render())

    def expected(self) -> str:
        return str(self.screen.query_one("#recall-expected", Static).render())

    def logs(self) -> list[tuple[int, int, str | None]]:
        rows = self.store.conn.execute(
            "SELECT card_id, rating, answer_text FROM review_log ORDER BY id"
        )
        return [tuple(row) for row in rows]

    async def type_and_check(self, text: str) -> None:
        await wait_until(self.pilot, lambda: self.box.has_focus)
        if text:
            await self.pilot.press(*[_key(c) for c in text])
        await self.pilot.press("enter")
        await wait_until(self.pilot, lambda: self.screen.revealed)

    async def settle(self) -> None:
        await wait_until(self.pilot, lambda: not self.screen.grading, timeout=30)
        await self.pilot.pause()


def _key(character: str) -> str:
    return {" ": "space", "?": "question_mark", "!": "exclamation_mark", ".": "full_stop"}.get(
        character, character
    )


@asynccontextmanager
async def reviewing(
    library: Library, deck_id: int | None = None, *, config: Config | None = None
) -> AsyncIterator[Review]:
    app = PonderApp(library=library, config=config or Config())
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        screen = ReviewScreen(deck_id)
        app.push_screen(screen)
        await wait_until(pilot, lambda: app.screen is screen and screen.card is not None)
        await pilot.pause()
        yield Review(app, pilot, screen, CardStore(library.conn))


@pytest.fixture(autouse=True)
def quick_grading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(claude, "CLIENT_OPTIONS", {"max_retries": 0, "timeout": 5.0})


def cards(store: CardStore, count: int, deck: str = "D") -> list[int]:
    notes = store.create_notes_bulk(
        [NoteDraft(NoteKind.BASIC, f"q{i} front", f"a{i} back", deck=deck) for i in range(count)]
    )
    return [card.id for note_id in notes for card in store.cards_of_note(note_id)]


def sourced_card(library: Library, store: CardStore, deck: str = "D") -> int:
    source_id = add_transcript(library, make_segments(30), title="Loops talk")
    note = store.create_note(
        "basic",
        "What keeps the loop going?",
        "The gamma condition",
        deck=deck,
        source=SourceRef(source_id, first_segment=4, last_segment=5),
    )
    return note.card_ids[0]


def deck_id(store: CardStore, name: str = "D") -> int:
    return next(deck.id for deck in store.decks() if deck.name == name)


# -- toggles ------------------------------------------------------------------------------


async def test_w_types_answers_for_this_session_only(library: Library) -> None:
    store = CardStore(library.conn)
    cards(store, 3)
    async with reviewing(library) as review:
        assert not review.box.display and "w Typing" in review.text()
        await review.pilot.press("w")
        await wait_until(review.pilot, lambda: review.box.display and review.box.has_focus)
        show = review.screen.query_one("#review-show", Button)
        assert show.label.plain == "enter Check answer" and "⏎ Check answer" in review.text()
        assert "✎ typing · session" in review.text()
        assert "Typing answers on for this session" in review.notes()[-1]
        await review.type_and_check("gamma")
        assert "gamma" in review.typed() and "a0 back" in review.expected()
        assert NO_KEY_NOTE.split(":")[0] in review.feedback()
        await review.pilot.press("2")
        await wait_until(review.pilot, lambda: len(review.logs()) == 1)
        assert review.logs()[0][1:] == (2, "gamma")
        # The next card asks for a typed answer too; w turns it off at once.
        await wait_until(review.pilot, lambda: review.box.has_focus)
        await review.pilot.press("escape")  # leave the box: the screen's keys work
        assert not review.box.has_focus and review.screen.card is not None
        await review.pilot.press("w")
        await wait_until(review.pilot, lambda: not review.box.display)
        await review.pilot.press("space")
        await wait_until(review.pilot, lambda: review.screen.revealed)
        assert not review.screen.query_one("#recall-compare").display
        await review.pilot.press("3")
        await wait_until(review.pilot, lambda: len(review.logs()) == 2)
        assert review.logs()[1][2] is None  # not typed: nothing stored
    assert free_recall_decks(library.conn) == set()  # w never touched the deck
    async with reviewing(library) as review:
        assert not review.box.display  # a new session follows the deck again


async def test_W_makes_it_the_deck_default_and_survives_a_restart(ponder_home: object) -> None:
    library = Library()
    store = CardStore(library.conn)
    cards(store, 2, deck="D")
    cards(store, 1, deck="D::Sub")
    cards(store, 1, deck="Other")
    async with reviewing(library, deck_id(store)) as review:
        await review.pilot.press("W")
        await wait_until(review.pilot, lambda: review.box.display)
        assert "“D” and its 1 subdeck now type their answers" in review.notes()[-1]
        assert "✎ typing" in review.text() and "session" not in review.text()
    assert deck_free_recall(library.conn, deck_id(store))
    assert deck_free_recall(library.conn, deck_id(store, "D::Sub"))
    assert not deck_free_recall(library.conn, deck_id(store, "Other"))
    library.close()

    reopened = Library()  # a restart: a new connection to the same database
    store = CardStore(reopened.conn)
    async with reviewing(reopened, deck_id(store)) as review:
        assert review.box.display and review.box.has_focus
        await review.type_and_check("")
        await review.pilot.press("1")
        await wait_until(review.pilot, lambda: len(review.logs()) == 1)
        assert review.logs()[0][2] == ""  # an empty answer is stored as "I don't know"
        # W again turns the default off (and the box goes at once).
        await wait_until(review.pilot, lambda: review.box.has_focus)
        await review.pilot.press("escape", "W")
        await wait_until(review.pilot, lambda: not review.box.display)
        assert "no longer ask for typed answers" in review.notes()[-1]
    assert not deck_free_recall(reopened.conn, deck_id(store))
    reopened.close()


async def test_all_decks_review_follows_each_cards_own_deck(library: Library) -> None:
    store = CardStore(library.conn)
    typed_ids = cards(store, 1, deck="Typed")
    cards(store, 1, deck="Plain")
    set_deck_free_recall(library.conn, deck_id(store, "Typed"), True)
    async with reviewing(library) as review:
        for _ in range(2):
            view = review.screen.card
            assert view is not None
            assert review.box.display == (view.card.id in typed_ids)
            if review.box.display:
                await review.type_and_check("x")
            else:
                await review.pilot.press("space")
                await wait_until(review.pilot, lambda: review.screen.revealed)
            count = len(review.logs())
            await review.pilot.press("3")
            await wait_until(review.pilot, lambda c=count: len(review.logs()) == c + 1)
    answers = {card_id: text for card_id, _rating, text in review.logs()}
    assert answers[typed_ids[0]] == "x"
    assert [text for card_id, text in answers.items() if card_id not in typed_ids] == [None]


def test_recall_mode_storage() -> None:
    from core.db import connect

    conn = connect()
    store = CardStore(conn)
    (note_id,) = store.create_notes_bulk([NoteDraft(NoteKind.BASIC, "f", "b", deck="A::B::C")])
    a, b, c = (deck_id(store, name) for name in ("A", "A::B", "A::B::C"))
    assert set_deck_free_recall(conn, b, True) == [b, c]
    assert free_recall_decks(conn) == {b, c}
    assert set_deck_free_recall(conn, a, False, subdecks=False) == [a]
    assert free_recall_decks(conn) == {b, c}
    assert set_deck_free_recall(conn, 9999, True) == []
    assert not deck_free_recall(conn, 9999)
    assert note_conversation(conn, note_id) is None
    with pytest.raises(sqlite3.IntegrityError):  # the conversation must exist
        link_note_conversation(conn, note_id, 12345)
    assert note_conversation(conn, note_id) is None
    conn.close()


# -- typing and checking --------------------------------------------------------------------


async def test_without_a_key_the_answers_stand_side_by_side(library: Library) -> None:
    store = CardStore(library.conn)
    store.create_note("basic", "Capital of France?", "Paris [b]city[/b]", deck="D")
    set_deck_free_recall(library.conn, deck_id(store), True)
    async with reviewing(library) as review:
        assert "Paris" not in review.text()
        await review.pilot.press("ctrl+s")  # ctrl+s checks too; nothing typed
        await wait_until(review.pilot, lambda: review.screen.revealed)
        text = review.text()
        assert "Card's answer" in text and "Your answer" in text
        assert "Paris [b]city[/b]" in text  # no markup
        assert NOTHING_TYPED in text
        assert "No grading by Claude: no Anthropic API key" in text
        compare = review.screen.query_one("#recall-compare")
        left, right = compare.children
        assert left.region.y == right.region.y and left.region.x < right.region.x  # beside
        assert not review.screen.query_one("#review-back").display  # the back once only
        await review.pilot.press("4")
        await wait_until(review.pilot, lambda: len(review.logs()) == 1)
        assert review.logs()[0][1:] == (4, "")


async def test_ctrl_j_adds_a_line_and_the_typed_text_is_inert(library: Library) -> None:
    store = CardStore(library.conn)
    cards(store, 1)
    set_deck_free_recall(library.conn, deck_id(store), True)
    async with reviewing(library) as review:
        await wait_until(review.pilot, lambda: review.box.has_focus)
        review.box.insert("[red]one[/]\x1b[2J")
        await review.pilot.press("ctrl+j", "t", "w", "o")
        assert review.box.text == "[red]one[/]\x1b[2J\ntwo" and not review.screen.revealed
        await review.pilot.press("enter")
        await wait_until(review.pilot, lambda: review.screen.revealed)
        assert "[red]one[/]␛[2J" in review.typed() and "two" in review.typed()
        await review.pilot.press("space")  # space after the reveal = Good, as usual
        await wait_until(review.pilot, lambda: len(review.logs()) == 1)
        assert review.logs()[0][1:] == (3, "[red]one[/]\x1b[2J\ntwo")


async def test_leaving_the_box_then_space_checks_what_was_typed(library: Library) -> None:
    store = CardStore(library.conn)
    cards(store, 1)
    set_deck_free_recall(library.conn, deck_id(store), True)
    async with reviewing(library) as review:
        await wait_until(review.pilot, lambda: review.box.has_focus)
        await review.pilot.press("a", "b", "escape")
        assert not review.box.has_focus and not review.screen.revealed
        assert review.app.screen is review.screen  # Esc left the box, not the review
        await review.pilot.press("tab")
        assert review.box.has_focus
        await review.pilot.press("c", "escape", "space")
        await wait_until(review.pilot, lambda: review.screen.revealed)
        assert review.screen.typed_answer == "abc"


# -- Claude's comparison --------------------------------------------------------------------


async def test_claude_compares_and_suggests_but_the_key_decides(
    library: Library, fake_claude: FakeClaude
) -> None:
    store = CardStore(library.conn)
    card_id = sourced_card(library, store)
    set_deck_free_recall(library.conn, deck_id(store), True)
    fake_claude.queue(
        Reply.json(
            {
                "right": "You named [bold]gamma[/].",
                "missing": "The exit condition.",
                "rating": 2,
                "sources": ["00:00:15"],
            },
            json_chunk=5,
        )
    )
    async with reviewing(library) as review:
        await review.type_and_check("it uses gamma")
        assert review.screen.grading or review.screen.feedback is not None
        await review.settle()
        body = fake_claude.last_body
        instruction = body["messages"][0]["content"][-1]["text"]
        assert body["messages"][0]["content"][0]["type"] == "document"
        for part in ("What keeps the loop going?", "The gamma condition", "it uses gamma"):
            assert part in instruction
        assert "seg 4 " in instruction and "seg 5 " in instruction  # the card's passage
        feedback = review.feedback()
        assert "Right: You named [bold]gamma[/]." in feedback  # model text is not markup
        assert "Missing: The exit condition." in feedback
        assert "Suggested: Hard (2)" in feedback
        assert "Cited: [00:00:15]" in feedback, feedback
        assert body["tool_choice"] == {"type": "tool", "name": "recall_grade"}
        assert review.screen.query_one("#rate-2", Button).has_class("-suggested")
        assert not review.screen.query_one("#rate-3", Button).has_class("-suggested")
        await review.pilot.press("3")  # the learner disagrees: 3 is what counts
        await wait_until(review.pilot, lambda: len(review.logs()) == 1)
        assert review.logs() == [(card_id, 3, "it uses gamma")]
        assert not review.screen.query_one("#rate-2", Button).has_class("-suggested")


async def test_escape_stops_grading_but_keeps_the_reveal(
    library: Library, fake_claude: FakeClaude
) -> None:
    store = CardStore(library.conn)
    cards(store, 2)
    set_deck_free_recall(library.conn, deck_id(store), True)
    fake_claude.queue(Reply(hang=True))
    async with reviewing(library) as review:
        await review.type_and_check("guess")
        await wait_until(review.pilot, lambda: "Claude is comparing" in review.feedback())
        assert "Claude is comparing" in review.text()
        await review.pilot.press("escape")
        await wait_until(review.pilot, lambda: not review.screen.grading)
        assert review.app.screen is review.screen and review.screen.revealed
        assert "Grading stopped" in review.feedback()
        await review.pilot.press("1")
        await wait_until(review.pilot, lambda: len(review.logs()) == 1)
        assert review.logs()[0][1:] == (1, "guess")
        fake_claude.release_hangs()


async def test_rating_while_grading_goes_on_and_drops_the_late_grade(
    library: Library, fake_claude: FakeClaude
) -> None:
    store = CardStore(library.conn)
    cards(store, 2)
    set_deck_free_recall(library.conn, deck_id(store), True)
    fake_claude.queue(Reply.json({"right": "x", "missing": "", "rating": 4}, hang_after=0))
    async with reviewing(library) as review:
        first = review.screen.card
        await review.type_and_check("guess")
        await review.pilot.press("2")
        await wait_until(review.pilot, lambda: len(review.logs()) == 1)
        assert review.screen.card is not first and not review.screen.grading
        assert review.box.has_focus and review.feedback() == ""
        fake_claude.release_hangs()
        await review.pilot.pause(0.2)
        assert review.feedback() == "" and not review.screen.revealed


async def test_a_refusal_falls_back_to_self_grading(
    library: Library, fake_claude: FakeClaude
) -> None:
    store = CardStore(library.conn)
    cards(store, 1)
    set_deck_free_recall(library.conn, deck_id(store), True)
    fake_claude.queue(Reply.refusal(explanation="Declined."), Reply.error(401))
    async with reviewing(library) as review:
        await review.type_and_check("guess")
        await review.settle()
        assert review.feedback() == (
            "No grade from Claude: Claude declined to grade this answer (Declined). Nothing "
            "was changed. Compare the answers and rate it yourself."
        )
        # Said once, beside the answers: no toast repeating it.
        assert not any("declined" in note or "Grading" in note for note in review.notes())
        assert "guess" in review.typed()
        await review.pilot.press("u")  # (nothing to undo yet: a warning, still revealed)
        await review.pilot.press("3")
        await wait_until(review.pilot, lambda: len(review.logs()) == 1)
        # The same card again after undo: a 401 this time, one line, no key shown.
        await review.pilot.press("u")
        await wait_until(review.pilot, lambda: review.box.has_focus)
        await review.type_and_check("again")
        await review.settle()
        assert "No grade from Claude" in review.feedback()
        assert "FAKE-TEST-KEY" not in review.text()
        assert not any("Grading" in note or "401" in note for note in review.notes())


async def test_a_cut_off_grade_falls_back_to_self_grading(
    library: Library, fake_claude: FakeClaude
) -> None:
    store = CardStore(library.conn)
    sourced_card(library, store)
    set_deck_free_recall(library.conn, deck_id(store), True)
    grade = {"right": "Most of it " * 20, "missing": "", "rating": 3, "sources": []}
    fake_claude.queue(Reply.json(grade, cut_at=70))
    async with reviewing(library) as review:
        await review.type_and_check("the gamma condition")
        await review.settle()
        assert "grade was cut off at the 500-token limit" in review.feedback()
        assert "rate it yourself" in review.feedback()
        assert not any("cut off" in note for note in review.notes())  # said once, inline
        assert not any(
            review.screen.query_one(f"#rate-{n}", Button).has_class("-suggested")
            for n in range(1, 5)
        )


async def test_an_empty_answer_is_rated_again_without_asking(
    library: Library, fake_claude: FakeClaude
) -> None:
    store = CardStore(library.conn)
    cards(store, 1)
    set_deck_free_recall(library.conn, deck_id(store), True)
    async with reviewing(library) as review:
        await review.type_and_check("")
        await review.settle()
        assert "Suggested: Again (1)" in review.feedback()
        assert fake_claude.message_requests == []
        assert review.screen.query_one("#rate-1", Button).has_class("-suggested")


async def test_the_keys_are_in_the_help(library: Library) -> None:
    from tui.screens.help import HelpScreen

    store = CardStore(library.conn)
    sourced_card(library, store)
    async with reviewing(library) as review:
        await review.pilot.press("question_mark")
        await wait_until(review.pilot, lambda: isinstance(review.app.screen, HelpScreen))
        text = review.app.screen.text
        for words in (
            "Typing  review.free_recall",
            "Typing default (deck)  review.free_recall_deck",
            "Ask  review.ask",
        ):
            assert words in text, words
        await review.pilot.press("escape")
        await review.pilot.press("w")
        await wait_until(review.pilot, lambda: review.box.has_focus)
        await review.pilot.press("escape", "question_mark")
        await wait_until(review.pilot, lambda: isinstance(review.app.screen, HelpScreen))
        await review.pilot.press("escape", "tab")
        await wait_until(review.pilot, lambda: review.box.has_focus)
        assert "⏎ Check answer" in review.text() and "^j New line" in review.text()
