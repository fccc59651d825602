"""The review screen driven through the real app with Pilot: showing, revealing, rating
with the shown intervals, undo, bury, suspend, leeches, the source view, the deck
picker, the empty and finished states, cloze rendering, durations, restarts, the CLI."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static

from core.config import Config
from core.durations import format_interval
from core.library import Library
from core.youtube import watch_url
from decks.models import LEECH_TAG, CardState, NoteKind, SourceRef
from decks.repository import CardStore, NoteDraft
from tests.test_decks_helpers import FakeClock, make_review
from tests.tui_helpers import (
    Driven,
    add_transcript,
    make_segments,
    notifications,
    screen_text,
    wait_until,
)
from tui.app import PonderApp
from tui.media import NO_VIDEO
from tui.screens.card_editor import CardEditorScreen
from tui.screens.card_source import CardSourceScreen
from tui.screens.deck_picker import CANCELLED, DeckPickerScreen
from tui.screens.help import HelpScreen
from tui.screens.review import ReviewScreen, format_spent, open_review

pytest_plugins = ["tests.test_decks_helpers"]


@dataclass
class Review(Driven):
    screen: ReviewScreen
    library: Library
    store: CardStore

    def labels(self) -> dict[int, str]:
        """The interval printed on each rating button, read from the button itself."""
        found = {}
        for rating in range(1, 5):
            button = self.screen.query_one(f"#rate-{rating}", Button)
            found[rating] = button.label.plain.split()[-1]
        return found

    def counts(self) -> str:
        return self.screen.counts_text()

    def logs(self) -> list[tuple[int, int, int | None]]:
        rows = self.store.conn.execute(
            "SELECT card_id, rating, duration_ms FROM review_log ORDER BY id"
        )
        return [tuple(row) for row in rows]

    async def answer(self, key: str) -> None:
        """Reveal the card on screen, then press a rating key."""
        await self.pilot.press("space")
        await wait_until(self.pilot, lambda: self.screen.revealed)
        await self.pilot.press(key)
        await self.pilot.pause()


@asynccontextmanager
async def reviewing(
    library: Library,
    deck_id: int | None = None,
    *,
    config: Config | None = None,
    size: tuple[int, int] = (100, 30),
) -> AsyncIterator[Review]:
    app = PonderApp(library=library, config=config or Config())
    async with app.run_test(size=size, notifications=True) as pilot:
        screen = ReviewScreen(deck_id)
        app.push_screen(screen)
        await wait_until(pilot, lambda: app.screen is screen and screen.session is not None)
        await pilot.pause()
        yield Review(app, pilot, screen, library, CardStore(library.conn))


def basic_cards(store: CardStore, count: int, deck: str = "D", prefix: str = "q") -> list[int]:
    notes = store.create_notes_bulk(
        [
            NoteDraft(NoteKind.BASIC, f"{prefix}{i} front", f"{prefix}{i} back", deck=deck)
            for i in range(count)
        ]
    )
    return [card.id for note_id in notes for card in store.cards_of_note(note_id)]


def reviews_due(store: CardStore, count: int, now: datetime, **kwargs: object) -> list[int]:
    ids = basic_cards(store, count)
    for card_id in ids:
        make_review(store, card_id, now, **kwargs)  # type: ignore[arg-type]
    return ids


def log_count(store: CardStore) -> int:
    return int(store.conn.execute("SELECT COUNT(*) FROM review_log").fetchone()[0])


# -- showing and rating -------------------------------------------------------------------


async def test_front_first_space_reveals_back_under_a_rule(
    library: Library, fake_clock: FakeClock
) -> None:
    store = CardStore(library.conn)
    store.create_note("basic", "[bold]Why[/] \x1b[2J the sky?", "Rayleigh [red]scattering")
    async with reviewing(library) as review:
        text = review.text()
        assert "[bold]Why[/] ␛[2J the sky?" in text  # no markup, escape made visible
        assert "Rayleigh" not in text
        assert "Show answer" in text and "Again" not in text
        await review.pilot.press("3")  # rating keys do nothing before the answer is shown
        assert log_count(store) == 0 and not review.screen.revealed
        await review.pilot.press("space")
        await review.pilot.pause()
        text = review.text()
        assert "Rayleigh [red]scattering" in text and "─" * 20 in text
        assert review.labels() == review.screen.button_labels()
        for name in ("1 Again", "2 Hard", "3 Good", "4 Easy"):
            assert name in text
        assert review.notes() == []


async def test_each_rating_commits_the_interval_its_button_showed(
    library: Library, fake_clock: FakeClock
) -> None:
    store = CardStore(library.conn)
    reviews_due(store, 4, fake_clock(), stability=40)
    basic_cards(store, 4, prefix="n")
    async with reviewing(library) as review:
        for answered, rating in enumerate([1, 2, 3, 4, 4, 3, 2, 1], start=1):
            card = review.screen.card
            assert card is not None
            await review.pilot.press("space")
            await review.pilot.pause()
            shown = review.labels()[rating]
            await review.pilot.press(str(rating))
            await review.pilot.pause()
            stored = store.get_card(card.id)
            assert stored is not None and stored.last_review == fake_clock()
            assert format_interval(stored.due - fake_clock()) == shown
            logs = store.review_logs(card.id)
            assert logs[-1].rating == rating and log_count(store) == answered


async def test_enter_and_space_on_a_revealed_card_mean_good(
    library: Library, fake_clock: FakeClock
) -> None:
    store = CardStore(library.conn)
    first, second, _third = reviews_due(store, 3, fake_clock())
    async with reviewing(library) as review:
        await review.pilot.press("enter")
        await review.pilot.pause()
        assert review.screen.revealed
        await review.pilot.press("enter")
        await review.pilot.pause()
        await review.pilot.press("space", "space")
        await review.pilot.pause()
        assert [(card, rating) for card, rating, _ in review.logs()] == [(first, 3), (second, 3)]


async def test_clicking_a_button_rates_too(library: Library, fake_clock: FakeClock) -> None:
    store = CardStore(library.conn)
    (card_id,) = reviews_due(store, 1, fake_clock())
    async with reviewing(library) as review:
        await review.pilot.click("#review-show")
        await review.pilot.pause()
        assert review.screen.revealed
        shown = review.labels()[4]
        await review.pilot.click("#rate-4")
        await review.pilot.pause()
        stored = store.get_card(card_id)
        assert stored is not None and format_interval(stored.due - fake_clock()) == shown
        assert [rating for _, rating, _ in review.logs()] == [4]


async def test_header_counts_and_progress_go_down_as_cards_are_answered(
    library: Library, fake_clock: FakeClock
) -> None:
    store = CardStore(library.conn)
    reviews_due(store, 2, fake_clock())
    basic_cards(store, 3, prefix="n")
    async with reviewing(library) as review:
        assert review.counts() == "New 3  Learning 0  Review 2"
        assert "0/5" in review.text()
        for step in range(1, 6):
            await review.answer("4")
            counts = review.screen.session.counts()  # type: ignore[union-attr]
            assert counts.total == 5 - step
            assert review.counts() == (
                f"New {counts.new}  Learning {counts.learning}  Review {counts.review}"
            )
            assert f"{step}/5" in review.text()
        assert review.counts() == "New 0  Learning 0  Review 0"


async def test_durations_are_measured_from_showing_to_the_keypress(
    library: Library, fake_clock: FakeClock
) -> None:
    store = CardStore(library.conn)
    reviews_due(store, 2, fake_clock())
    started = time.monotonic()
    async with reviewing(library) as review:
        await review.pilot.pause(0.5)
        first_key = time.monotonic()
        await review.answer("3")  # the second card appears while this runs
        first_done = time.monotonic()
        await review.pilot.pause(0.4)
        await review.answer("3")
        second_done = time.monotonic()
        durations = [duration for _, _, duration in review.logs()]
    assert durations[0] is not None and durations[1] is not None
    assert 500 <= durations[0] <= (first_done - started) * 1000
    assert 400 <= durations[1] <= (second_done - first_key) * 1000


# -- undo, bury, suspend, leeches ---------------------------------------------------------


async def test_undo_restores_the_card_and_removes_the_log_row_repeatedly(
    library: Library, fake_clock: FakeClock
) -> None:
    store = CardStore(library.conn)
    ids = reviews_due(store, 3, fake_clock())
    before = {card_id: store.get_card(card_id) for card_id in ids}
    async with reviewing(library) as review:
        answered = []
        for key in ("1", "3"):
            answered.append(review.screen.card.id)  # type: ignore[union-attr]
            await review.answer(key)
        assert log_count(store) == 2
        for expected in reversed(answered):
            await review.pilot.press("u")
            await review.pilot.pause()
            assert review.screen.card is not None and review.screen.card.id == expected
            assert not review.screen.revealed
            assert store.get_card(expected) == before[expected]
            assert f"{expected}" and store.review_logs(expected) == []
        assert log_count(store) == 0
        await review.pilot.press("u")  # nothing left to undo: a message, no change
        await review.pilot.pause()
        assert any("Nothing to undo" in note for note in review.notes())
        assert review.counts() == "New 0  Learning 0  Review 3"
        await review.answer("3")  # and the session goes on
        assert [card for card, _, _ in review.logs()] == [answered[0]]


async def test_bury_hides_the_card_until_the_next_study_day(
    library: Library, fake_clock: FakeClock
) -> None:
    store = CardStore(library.conn)
    first, second = basic_cards(store, 2)
    async with reviewing(library) as review:
        assert review.screen.card is not None and review.screen.card.id == first
        await review.pilot.press("b")
        await review.pilot.pause()
        assert review.screen.card is not None and review.screen.card.id == second
        assert any("Buried" in note for note in review.notes())
        card = store.get_card(first)
        assert card is not None and card.buried_until == datetime(2026, 3, 3, 4, tzinfo=UTC)
    fake_clock.advance(hours=6)  # 15:00, same study day
    async with reviewing(library) as review:
        assert review.counts() == "New 1  Learning 0  Review 0"
        assert review.screen.card is not None and review.screen.card.id == second
    fake_clock.set(datetime(2026, 3, 3, 4, 30, tzinfo=UTC))  # after the 4 am rollover
    async with reviewing(library) as review:
        assert review.counts() == "New 2  Learning 0  Review 0"


async def test_bury_and_suspend_are_undoable(library: Library, fake_clock: FakeClock) -> None:
    store = CardStore(library.conn)
    first, second = basic_cards(store, 2)
    async with reviewing(library) as review:
        await review.pilot.press("exclamation_mark")
        await review.pilot.pause()
        card = store.get_card(first)
        assert card is not None and card.suspended
        assert review.screen.card is not None and review.screen.card.id == second
        assert any("Suspended" in note for note in review.notes())
        await review.pilot.press("u")
        await review.pilot.pause()
        card = store.get_card(first)
        assert card is not None and not card.suspended
        assert review.screen.card is not None and review.screen.card.id == first
    async with reviewing(library) as review:
        assert review.counts() == "New 2  Learning 0  Review 0"


async def test_suspended_card_leaves_the_reviews(library: Library, fake_clock: FakeClock) -> None:
    store = CardStore(library.conn)
    (only,) = basic_cards(store, 1)
    async with reviewing(library) as review:
        await review.pilot.press("!")
        await review.pilot.pause()
        assert review.screen.card is None
        assert "Nothing due" in review.screen.done_text
    async with reviewing(library) as review:
        assert review.screen.card is None
        card = store.get_card(only)
        assert card is not None and card.suspended


async def test_eighth_lapse_tags_leech_and_tells_the_learner(
    library: Library, fake_clock: FakeClock
) -> None:
    store = CardStore(library.conn)
    (card_id,) = reviews_due(store, 1, fake_clock(), lapses=7)
    async with reviewing(library) as review:
        await review.answer("1")
        card = store.get_card(card_id)
        assert card is not None and card.lapses == 8 and not card.suspended
        note = store.note(card.note_id)
        assert note is not None and LEECH_TAG in note.tags
        leech = [n for n in review.app._notifications if n.title == "Leech"]
        assert len(leech) == 1 and "lapsed 8 times" in leech[0].message
        # not hidden: it is back in relearning and shown again, marked as a leech
        assert review.screen.card is not None and review.screen.card.id == card_id
        assert "leech" in review.text()


# -- the source --------------------------------------------------------------------------


async def test_source_view_shows_the_passage_in_context_and_opens_the_video(
    library: Library, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    source_id = add_transcript(
        library, make_segments(30), title="Talk", kind="youtube", video_id="abcdefghijk"
    )
    store = CardStore(library.conn)
    store.create_note(
        "basic", "q", "a", source=SourceRef(source_id, first_segment=10, last_segment=11)
    )
    async with reviewing(library) as review:
        opened: list[str] = []
        monkeypatch.setattr(review.app, "open_url", lambda url, **_: opened.append(url))
        assert "from “Talk” at 00:30" in review.text()
        await review.pilot.press("s")
        await wait_until(review.pilot, lambda: isinstance(review.app.screen, CardSourceScreen))
        source = review.app.screen
        assert isinstance(source, CardSourceScreen)
        text = source.text
        for index in range(7, 15):
            assert f"seg {index} " in text
        assert "seg 6 " not in text and "seg 15 " not in text
        lines = text.splitlines()
        marked = [line for line in lines if line.startswith("▌")]
        assert len(marked) == 2 and "00:30" in marked[0] and "seg 10 " in marked[0]
        assert "00:21" in text and "00:42" in text  # timestamps of the context too
        await review.pilot.press("o")
        await review.pilot.pause()
        assert opened == [watch_url("abcdefghijk", 30.0)] == ["https://youtu.be/abcdefghijk?t=30"]
        await review.pilot.press("escape")
        await review.pilot.pause()
        assert review.app.screen is review.screen
        await review.pilot.press("o")  # o works on the review screen as well
        await review.pilot.pause()
        assert opened[-1] == "https://youtu.be/abcdefghijk?t=30"
        # Enter in the source view opens the transcript at the passage
        await review.pilot.press("s")
        await wait_until(review.pilot, lambda: isinstance(review.app.screen, CardSourceScreen))
        await review.pilot.press("enter")
        from tui.screens.study import StudyScreen

        await wait_until(review.pilot, lambda: isinstance(review.app.screen, StudyScreen))
        study = review.app.screen
        assert isinstance(study, StudyScreen)
        await wait_until(review.pilot, lambda: study.transcript_view.cursor == 10)
        session = review.screen.session
        open_review(review.app)  # r from the transcript: back to this review, not a new one
        await wait_until(review.pilot, lambda: review.app.screen is review.screen)
        assert review.screen.session is session and review.screen.card is not None
        assert len(review.app.screen_stack) == 2
        await review.answer("3")
        assert len(review.logs()) == 1


async def test_o_on_a_card_without_a_video_says_so_in_review_and_source_view(
    library: Library, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    source_id = add_transcript(library, make_segments(30), title="Local file")
    store = CardStore(library.conn)
    store.create_note("basic", "q", "a", source=SourceRef(source_id, first_segment=3))
    async with reviewing(library) as review:
        opened: list[str] = []
        monkeypatch.setattr(review.app, "open_url", lambda url, **_: opened.append(url))
        await review.pilot.press("o")
        await review.pilot.pause()
        assert review.notes().count(NO_VIDEO) == 1
        await review.pilot.press("s")
        await wait_until(review.pilot, lambda: isinstance(review.app.screen, CardSourceScreen))
        await review.pilot.press("o")
        await review.pilot.pause()
        assert review.notes().count(NO_VIDEO) == 2
        assert opened == []


async def test_a_card_whose_transcript_was_deleted_keeps_working(
    library: Library, fake_clock: FakeClock
) -> None:
    source_id = add_transcript(library, make_segments(10), title="Gone talk")
    store = CardStore(library.conn)
    created = store.create_note(
        "basic", "q", "a", deck="D", source=SourceRef(source_id, first_segment=2)
    )
    assert library.remove(source_id)
    async with reviewing(library) as review:
        assert "source gone (was “Gone talk”)" in review.text()
        await review.pilot.press("s")
        await review.pilot.pause()
        assert review.app.screen is review.screen
        assert any("was deleted" in note for note in review.notes())
        await review.pilot.press("o")  # no video: nothing happens, no error
        await review.answer("3")
        assert [card for card, _, _ in review.logs()] == created.card_ids


async def test_hand_typed_card_has_no_source(library: Library, fake_clock: FakeClock) -> None:
    CardStore(library.conn).create_note("basic", "q", "a")
    async with reviewing(library) as review:
        assert "typed by hand" in review.text()
        await review.pilot.press("s")
        await review.pilot.pause()
        assert any("no source" in note for note in review.notes())


# -- decks ---------------------------------------------------------------------------------


async def test_deck_picker_reviews_one_deck_with_its_subdecks(
    library: Library, fake_clock: FakeClock
) -> None:
    store = CardStore(library.conn)
    in_a = basic_cards(store, 2, deck="A", prefix="a")
    in_ab = basic_cards(store, 1, deck="A::B", prefix="b")
    in_c = basic_cards(store, 3, deck="C", prefix="c")
    deck_a = store.deck_by_name("A")
    assert deck_a is not None
    app = PonderApp(library=library, config=Config())
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        open_review(app)
        await wait_until(pilot, lambda: app.screen.query_one(OptionList).option_count)
        picker = app.screen
        assert isinstance(picker, DeckPickerScreen)
        rows = {row.name: (row.due, row.new) for row in picker.rows}
        assert rows == {"All decks": (0, 6), "A": (0, 3), "A::B": (0, 1), "C": (0, 3)}
        text = screen_text(app)
        assert "All decks" in text and "  B" in text  # subdeck indented under A
        await pilot.press("j", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen))
        screen = app.screen
        assert isinstance(screen, ReviewScreen) and screen.deck_id == deck_a.id
        assert screen.sub_title == "A"
        seen = []
        while screen.card is not None:
            seen.append(screen.card.id)
            await pilot.press("space")
            await pilot.pause()
            await pilot.press("4")
            await pilot.pause()
        assert sorted(seen) == sorted(in_a + in_ab)
        assert all(not store.review_logs(card_id) for card_id in in_c)
        # d switches deck from the review screen; Esc in the picker changes nothing
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, DeckPickerScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        assert screen.deck_id == deck_a.id
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, DeckPickerScreen))
        await pilot.press("a")
        await wait_until(pilot, lambda: app.screen is screen)
        assert screen.deck_id is None and screen.card is not None
        assert screen.card.id in in_c
        # r again while reviewing does not stack a second review
        open_review(app)
        await pilot.pause()
        assert app.screen is screen


async def test_open_review_goes_straight_in_with_one_deck(
    library: Library, fake_clock: FakeClock
) -> None:
    basic_cards(CardStore(library.conn), 2, deck="Only")
    app = PonderApp(library=library, config=Config())
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        open_review(app)
        await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen))
        assert app.screen.deck_id is None  # type: ignore[attr-defined]
        await pilot.press("q")
        await wait_until(pilot, lambda: not isinstance(app.screen, ReviewScreen))


async def test_picker_cancel_returns_cancelled(library: Library, fake_clock: FakeClock) -> None:
    store = CardStore(library.conn)
    basic_cards(store, 1, deck="A")
    basic_cards(store, 1, deck="B")
    app = PonderApp(library=library, config=Config())
    results: list[object] = []
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        app.push_screen(DeckPickerScreen(), results.append)
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        app.push_screen(DeckPickerScreen(), results.append)
        await pilot.pause()
        await pilot.press("enter")  # the first row: all decks
        await pilot.pause()
    assert results == [CANCELLED, None]


# -- empty, waiting and finished ---------------------------------------------------------


async def test_nothing_due_says_when_the_next_card_is_and_how_many_tomorrow(
    library: Library, fake_clock: FakeClock
) -> None:
    store = CardStore(library.conn)
    tomorrow, later = basic_cards(store, 2)
    now = fake_clock()
    make_review(store, tomorrow, now, due_in_days=1 + 1 / 24)  # Tuesday 10:00
    make_review(store, later, now, due_in_days=5)
    async with reviewing(library) as review:
        assert review.screen.card is None
        done = review.screen.done_text
        assert "Nothing due in All decks right now." in done
        assert "Next card due tomorrow at 10:00 (in 1d)." in done
        assert "1 card is due tomorrow." in done
        assert "Nothing due" in review.text()
        assert "Show answer" not in review.text()


async def test_no_cards_at_all_says_how_to_make_some(
    library: Library, fake_clock: FakeClock
) -> None:
    async with reviewing(library) as review:
        assert "No cards yet" in review.screen.done_text


async def test_summary_counts_cards_again_rate_and_time(
    library: Library, fake_clock: FakeClock
) -> None:
    store = CardStore(library.conn)
    reviews_due(store, 4, fake_clock())
    async with reviewing(library) as review:
        for key in ("1", "3", "3", "4"):
            await review.answer(key)
        # the failed card comes back (relearning 10m, within the learn-ahead window)
        assert review.screen.card is not None
        await review.answer("4")
        assert review.screen.card is None
        spent = int(store.conn.execute("SELECT SUM(duration_ms) FROM review_log").fetchone()[0])
        assert review.screen.session is not None
        assert review.screen.session.summary.time_ms == spent
        done = review.screen.done_text
        assert f"Reviewed 4 cards (5 answers) · again 20% · {format_spent(spent)} spent" in done
        assert "Done with All decks for now." in done


async def test_learning_cards_due_later_are_waited_for(
    library: Library, fake_clock: FakeClock
) -> None:
    basic_cards(CardStore(library.conn), 1)
    config = Config(learning_steps=["1h"])
    async with reviewing(library, config=config) as review:
        await review.answer("1")
        assert review.screen.card is None
        assert "1 learning card comes back today at 10:00 (in 1h)" in review.screen.done_text
        await review.pilot.press("space")  # still too early: stays waiting
        assert review.screen.card is None
        fake_clock.advance(minutes=45)  # within 20 minutes of due: shown
        await review.pilot.press("space")
        await review.pilot.pause()
        assert review.screen.card is not None


# -- cloze ---------------------------------------------------------------------------------


async def test_cloze_front_hides_the_asked_deletion_and_back_emphasises_it(
    library: Library, fake_clock: FakeClock
) -> None:
    store = CardStore(library.conn)
    store.create_note(
        "cloze", "The {{c1::sun}} is a {{c2::star::kind of object}}.", "Extra [b]fact"
    )
    async with reviewing(library, config=Config(bury_siblings=False)) as review:  # c2 next
        assert "The [...] is a star." in review.text()
        front = review.screen.query_one("#review-front", Static).visual
        spans = [(front.plain[s.start : s.end], str(s.style)) for s in front.spans]  # type: ignore[union-attr]
        assert ("[...]", "bold $text-accent") in spans
        await review.pilot.press("space")
        await review.pilot.pause()
        text = review.text()
        assert "The sun is a star." in text and "Extra [b]fact" in text
        front = review.screen.query_one("#review-front", Static).visual
        spans = [(front.plain[s.start : s.end], str(s.style)) for s in front.spans]  # type: ignore[union-attr]
        assert ("sun", "bold underline $text-accent") in spans
        await review.pilot.press("3")
        await review.pilot.pause()
        assert "The sun is a [kind of object]." in review.text()


async def test_reversed_note_asks_both_ways(library: Library, fake_clock: FakeClock) -> None:
    CardStore(library.conn).create_note("reversed", "chien", "dog")
    async with reviewing(library, config=Config(bury_siblings=False)) as review:
        seen = []
        while review.screen.card is not None and len(seen) < 2:
            seen.append(review.text().split("\n")[3].strip())
            await review.answer("4")
        assert seen == ["chien", "dog"]


# -- restarts, edit, help, CLI ---------------------------------------------------------


async def test_review_survives_an_app_restart(library: Library, fake_clock: FakeClock) -> None:
    store = CardStore(library.conn)
    ids = basic_cards(store, 4)
    async with reviewing(library) as review:
        await review.answer("4")
        await review.answer("4")
        done = [card for card, _, _ in review.logs()]
    assert done == ids[:2]
    fake_clock.advance(minutes=5)
    async with reviewing(library) as review:
        assert review.counts() == "New 2  Learning 0  Review 0"
        assert review.screen.card is not None and review.screen.card.id == ids[2]
        for card_id in done:
            card = store.get_card(card_id)
            assert card is not None and card.state == CardState.REVIEW


class FakeEditor(ModalScreen[bool]):
    """Stands in for the card editor: the test changes the note, then dismisses it."""

    def __init__(self, note_id: int) -> None:
        super().__init__()
        self.note_id = note_id


async def test_edit_opens_the_editor_and_shows_the_new_text(
    library: Library, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = CardStore(library.conn)
    created = store.create_note("basic", "old front", "old back")
    monkeypatch.setattr("tui.screens.card_editor.CardEditorScreen", FakeEditor)
    async with reviewing(library) as review:
        await review.pilot.press("space")
        await review.pilot.press("e")
        await wait_until(review.pilot, lambda: isinstance(review.app.screen, FakeEditor))
        editor = review.app.screen
        assert isinstance(editor, FakeEditor) and editor.note_id == created.note.id
        store.update_note(created.note.id, front="new front", back="new back")
        editor.dismiss(True)
        await wait_until(review.pilot, lambda: review.app.screen is review.screen)
        await review.pilot.pause()
        text = review.text()
        assert "new front" in text and "new back" in text and "old" not in text
        await review.pilot.press("3")
        await review.pilot.pause()
        assert [card for card, _, _ in review.logs()] == created.card_ids


async def test_a_card_the_edit_removed_or_suspended_is_skipped(
    library: Library, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = CardStore(library.conn)
    ids = basic_cards(store, 3)
    monkeypatch.setattr("tui.screens.card_editor.CardEditorScreen", FakeEditor)
    async with reviewing(library) as review:
        for change in ("delete", "suspend"):
            card = review.screen.card
            assert card is not None
            await review.pilot.press("e")
            await wait_until(review.pilot, lambda: isinstance(review.app.screen, FakeEditor))
            if change == "delete":
                store.delete_notes([card.note.id])
            else:
                store.set_suspended([card.id], True)
            review.app.screen.dismiss(True)
            await wait_until(review.pilot, lambda c=card: review.screen.card not in (None, c))
            assert review.app.screen is review.screen
        assert sum("The edit removed this card." in n for n in review.notes()) == 1
        assert review.screen.card is not None and review.screen.card.id == ids[2]
        assert review.counts() == "New 1  Learning 0  Review 0"
        await review.answer("3")
        assert [card for card, _, _ in review.logs()] == [ids[2]]


async def test_help_lists_the_review_keys(library: Library, fake_clock: FakeClock) -> None:
    CardStore(library.conn).create_note("basic", "q", "a")
    async with reviewing(library) as review:
        await review.pilot.press("space")
        await review.pilot.press("question_mark")
        await wait_until(review.pilot, lambda: isinstance(review.app.screen, HelpScreen))
        help_screen = review.app.screen
        assert isinstance(help_screen, HelpScreen)
        text = help_screen.text
        expected = ("Again", "Hard", "Good", "Easy", "Undo", "Bury", "Suspend", "Source")
        for word in (*expected, "Edit", "Deck", "Back"):
            assert word in text, word
        await review.pilot.press("escape")
        await review.pilot.pause()
        assert review.app.screen is review.screen


async def test_fits_an_80_by_24_terminal(library: Library, fake_clock: FakeClock) -> None:
    store = CardStore(library.conn)
    reviews_due(store, 1, fake_clock())
    async with reviewing(library, size=(80, 24)) as review:
        await review.pilot.press("space")
        await review.pilot.pause()
        text = review.text()
        for name in ("1 Again", "2 Hard", "3 Good", "4 Easy", "Review 1"):
            assert name in text


def _parser() -> argparse.ArgumentParser:
    from tui.cli import review as review_cli

    parser = argparse.ArgumentParser(prog="ponder")
    review_cli.register(parser.add_subparsers(dest="command"))
    return parser


def test_cli_review_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _parser().parse_args(["review", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--deck" in out and "review screen" in out


def test_ponder_review_help_through_the_real_command(capsys: pytest.CaptureFixture[str]) -> None:
    from tui.cli import COMMAND_MODULES, main

    assert "tui.cli.review" in COMMAND_MODULES  # `ponder review` is a real command
    with pytest.raises(SystemExit) as exit_info:
        main(["review", "--help"])
    assert exit_info.value.code == 0 and "--deck" in capsys.readouterr().out


def test_cli_module_does_not_import_textual() -> None:
    import subprocess

    code = (
        "import sys; import tui.cli.review as r, argparse; "
        "p = argparse.ArgumentParser(); r.register(p.add_subparsers()); "
        "print('textual' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_cli_review_opens_the_app_on_the_review_screen(
    monkeypatch: pytest.MonkeyPatch, fake_clock: FakeClock
) -> None:
    from tui.cli import review as review_cli
    from tui.cli.common import CliError

    library = Library()
    store = CardStore(library.conn)
    basic_cards(store, 2, deck="Physics::Waves")
    basic_cards(store, 1, deck="Other")
    deck = store.deck_by_name("Physics")
    assert deck is not None
    library.close()
    seen: list[tuple[str, int | None, str, int]] = []

    def launch(app: PonderApp) -> int:
        async def drive() -> None:
            async with app.run_test(size=(100, 30)) as pilot:
                await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen))
                screen = app.screen
                assert isinstance(screen, ReviewScreen)
                await wait_until(pilot, lambda: screen.session is not None)
                stack = [type(s).__name__ for s in app.screen_stack]
                seen.append((stack[0], screen.deck_id, screen.counts_text(), len(stack)))

        assert isinstance(app, PonderApp)
        asyncio.run(drive())
        return 0

    monkeypatch.setattr(review_cli, "launch", launch)
    args = _parser().parse_args(["review", "--deck", "Physics"])
    assert args.func(args) == 0
    assert seen == [("LibraryScreen", deck.id, "New 2  Learning 0  Review 0", 2)]
    args = _parser().parse_args(["review"])
    assert args.func(args) == 0
    assert seen[-1][1:3] == (None, "New 3  Learning 0  Review 0")
    args = _parser().parse_args(["review", "--deck", str(deck.id)])
    assert args.func(args) == 0 and seen[-1][1] == deck.id
    with pytest.raises(CliError, match="no deck named 'Nope'"):
        args = _parser().parse_args(["review", "--deck", "Nope"])
        args.func(args)


async def test_the_real_card_editor_opens_on_the_cards_note(
    library: Library, fake_clock: FakeClock
) -> None:
    created = CardStore(library.conn).create_note("basic", "front text", "back text")
    async with reviewing(library) as review:
        await review.pilot.press("e")
        await wait_until(review.pilot, lambda: isinstance(review.app.screen, CardEditorScreen))
        assert review.app.screen.note_id == created.note.id  # type: ignore[attr-defined]
        await review.pilot.press("escape")  # nothing typed: closes without asking
        await wait_until(review.pilot, lambda: review.app.screen is review.screen)
        assert review.screen.card is not None and review.screen.card.id == created.card_ids[0]
        await review.answer("3")
        assert len(review.logs()) == 1


async def test_database_errors_are_one_line_messages_and_lose_nothing(
    library: Library, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from decks.review import ReviewSession

    store = CardStore(library.conn)
    (card_id,) = basic_cards(store, 1)
    async with reviewing(library) as review:
        session = review.screen.session
        assert session is not None

        def locked(*_args: object, **_kwargs: object) -> None:
            raise sqlite3.OperationalError("database is locked")

        monkeypatch.setattr(session, "answer", locked)
        await review.answer("3")
        assert any("Could not save the review: database is locked" in n for n in review.notes())
        assert review.screen.card is not None and review.screen.card.id == card_id
        assert review.screen.revealed  # still there to answer again
        monkeypatch.setattr(session, "answer", ReviewSession.answer.__get__(session))
        await review.pilot.press("3")
        await review.pilot.pause()
        assert [card for card, _, _ in review.logs()] == [card_id]

    monkeypatch.setattr("tui.screens.review.screen.ReviewSession", locked)
    app = PonderApp(library=library, config=Config())
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        screen = ReviewScreen()
        app.push_screen(screen)
        await wait_until(pilot, lambda: "could not start" in screen.done_text)
        assert any("Could not open the review" in note for note in notifications(app))
        await pilot.press("q")
        await wait_until(pilot, lambda: app.screen is not screen)


# -- the pure helpers ---------------------------------------------------------------------


def test_describe_when_and_format_spent(utc_local: None) -> None:
    from tui.screens.review import describe_when

    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert describe_when(now + timedelta(hours=3), now) == "today at 12:00 (in 3h)"
    assert describe_when(now + timedelta(hours=20), now) == "tomorrow at 05:00 (in 20h)"
    assert describe_when(now + timedelta(days=45), now) == "on 2026-04-16 at 09:00 (in 1.5mo)"
    assert describe_when(now, now) == "today at 09:00 (now)"
    assert [format_spent(ms) for ms in (0, 45_400, 185_000, 3_725_000)] == [
        "0s",
        "45s",
        "3m 05s",
        "1h 02m",
    ]
