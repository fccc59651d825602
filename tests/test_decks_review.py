"""ReviewSession: show, reveal, rate with the shown intervals, undo, bury, suspend, leeches."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from fsrs import Rating

from core.config import Config
from core.db import connect
from decks.models import LEECH_TAG, CardState, NoteKind
from decks.repository import CardStore, NoteDraft, UndoError
from decks.review import ReviewError, ReviewSession
from tests.test_decks_helpers import FakeClock, FakeTimer, make_review

pytest_plugins = ["tests.test_decks_helpers"]


def _cards(store: CardStore, count: int, deck: str = "D") -> list[int]:
    store.create_notes_bulk(
        [NoteDraft(NoteKind.BASIC, f"q{i}", f"a{i}", deck=deck) for i in range(count)]
    )
    return [row[0] for row in store.conn.execute("SELECT id FROM cards ORDER BY id")]


def _state(store: CardStore, card_id: int) -> dict[str, object]:
    card = store.get_card(card_id)
    assert card is not None
    return {**card.scheduling_state(), "suspended": card.suspended}


def test_answer_commits_exactly_what_the_button_showed(
    store: CardStore, fake_clock: FakeClock, config: Config
) -> None:
    ids = _cards(store, 30)
    for card_id in ids:
        make_review(store, card_id, fake_clock(), stability=80, due_in_days=-1)
    session = ReviewSession(store, config=config)
    for _ in range(30):
        view = session.next_card()
        assert view is not None
        session.reveal()
        shown = {b.rating: b.label for b in session.buttons()}
        good = session.outcomes()[Rating.Good]
        fake_clock.advance(seconds=20)
        result = session.answer(Rating.Good)
        stored = store.get_card(view.id)
        assert stored is not None and stored.due == result.card.due
        assert stored.due - fake_clock() == good.interval
        assert result.interval_label == shown[Rating.Good]
        assert stored.last_review == fake_clock()
        logs = store.review_logs(view.id)
        assert len(logs) == 1 and logs[0].rating == 3 and logs[0].reviewed_at == fake_clock()
        assert logs[0].state_before["state"] == int(CardState.REVIEW)


def test_header_counts_progress_and_summary(
    store: CardStore, fake_clock: FakeClock, config: Config
) -> None:
    ids = _cards(store, 4)
    make_review(store, ids[0], fake_clock())
    timer = FakeTimer()
    session = ReviewSession(store, config=config, timer=timer)
    assert session.counts().to_dict() == {"new": 3, "learning": 0, "review": 1}
    view = session.next_card()
    assert view is not None
    assert session.counts().total == 4  # the card on screen still counts
    timer.value += 4.5
    session.answer(Rating.Again)
    assert session.counts().learning == 1  # came back in a learning step
    assert session.progress().done == 1
    for _ in range(3):
        session.next_card()
        timer.value += 200  # a long pause counts as 60 s, as in Anki
        session.answer(Rating.Easy)
    summary = session.summary
    assert summary.answers == 4 and summary.cards == 4 and summary.again == 1
    assert summary.again_rate == 0.25
    assert summary.time_ms == 4500 + 3 * 60_000
    assert "4 cards reviewed" in summary.describe()


def test_undo_restores_state_and_log_back_to_the_start(
    store: CardStore, fake_clock: FakeClock, config: Config
) -> None:
    ids = _cards(store, 3)
    make_review(store, ids[0], fake_clock())
    before = {card_id: _state(store, card_id) for card_id in ids}
    session = ReviewSession(store, config=config)
    answered = []
    for rating in (Rating.Good, Rating.Again, Rating.Hard):
        view = session.next_card()
        assert view is not None
        answered.append(view.id)
        fake_clock.advance(seconds=10)
        session.answer(rating)
    assert store.conn.execute("SELECT COUNT(*) FROM review_log").fetchone()[0] == 3
    shown = session.next_card()  # a card is on screen when undo is pressed
    assert shown is not None
    for expected in reversed(answered):
        restored = session.undo()
        assert restored.id == expected and session.current is not None
        assert session.current.id == expected and not session.revealed
        assert _state(store, expected) == before[expected]
    assert store.conn.execute("SELECT COUNT(*) FROM review_log").fetchone()[0] == 0
    assert session.summary.answers == 0 and session.summary.cards == 0
    with pytest.raises(UndoError):
        session.undo()
    # the session goes on with every card still to do
    assert session.counts().total == 3


def test_undo_of_bury_and_suspend(store: CardStore, fake_clock: FakeClock, config: Config) -> None:
    ids = _cards(store, 2)
    session = ReviewSession(store, config=config)
    first = session.next_card()
    assert first is not None
    session.bury()
    buried = store.get_card(first.id)
    assert buried is not None and buried.buried_until is not None
    assert buried.buried_until.hour == 4 and buried.buried_until > fake_clock()
    second = session.next_card()
    assert second is not None and second.id != first.id
    session.suspend()
    assert store.get_card(second.id).suspended  # type: ignore[union-attr]
    assert session.next_card() is None
    assert session.undo().id == second.id
    assert not store.get_card(second.id).suspended  # type: ignore[union-attr]
    session.answer(3)
    assert session.undo().id == second.id  # undo the answer
    session.answer(3)
    assert session.undo().id == second.id
    assert session.undo().id == first.id  # the card on screen goes back to the queue
    assert store.get_card(first.id).buried_until is None  # type: ignore[union-attr]
    assert session.counts().new == 2
    assert sorted(ids) == sorted([first.id, second.id])


def test_leech_is_tagged_not_hidden_and_undo_untags(
    store: CardStore, fake_clock: FakeClock, config: Config
) -> None:
    ids = _cards(store, 1)
    make_review(store, ids[0], fake_clock(), lapses=7)
    session = ReviewSession(store, config=config)
    session.next_card()
    result = session.answer(Rating.Again)
    assert result.leech and result.leech_tag_added and result.card.lapses == 8
    assert result.message is not None and "leech" in result.message
    note_id = store.get_card(ids[0]).note_id  # type: ignore[union-attr]
    assert LEECH_TAG in store.tags_of(note_id)
    assert session.counts().learning == 1  # still reviewed (relearning), not suspended
    assert not store.get_card(ids[0]).suspended  # type: ignore[union-attr]
    session.undo()
    assert LEECH_TAG not in store.tags_of(note_id)
    assert store.get_card(ids[0]).lapses == 7  # type: ignore[union-attr]


def test_leech_tag_added_by_hand_survives_undo(
    store: CardStore, fake_clock: FakeClock, config: Config
) -> None:
    ids = _cards(store, 1)
    make_review(store, ids[0], fake_clock(), lapses=7)
    note_id = store.get_card(ids[0]).note_id  # type: ignore[union-attr]
    store.add_tags([note_id], LEECH_TAG)
    session = ReviewSession(store, config=config)
    session.next_card()
    result = session.answer(Rating.Again)
    assert result.leech and not result.leech_tag_added
    session.undo()
    assert LEECH_TAG in store.tags_of(note_id)


def test_nothing_due_says_when_and_how_many_tomorrow(
    store: CardStore, fake_clock: FakeClock, config: Config
) -> None:
    ids = _cards(store, 4)
    now = fake_clock()
    make_review(store, ids[0], now, due_in_days=0.9)  # tomorrow 06:36
    make_review(store, ids[1], now, due_in_days=1.5)  # tomorrow 21:00
    make_review(store, ids[2], now, due_in_days=5)
    store.set_suspended([ids[3]])
    session = ReviewSession(store, config=config)
    assert session.next_card() is None
    info = session.nothing_due()
    assert info.next_due == now + timedelta(days=0.9)
    assert info.due_tomorrow == 2
    assert not info.review_limit_reached and not info.new_limit_reached


def test_errors_are_clear(store: CardStore, fake_clock: FakeClock, config: Config) -> None:
    _cards(store, 1)
    session = ReviewSession(store, config=config)
    with pytest.raises(ReviewError, match="No card"):
        session.answer(3)
    session.next_card()
    with pytest.raises(ReviewError, match="1 Again"):
        session.answer(7)
    with pytest.raises(ReviewError, match="No deck"):
        ReviewSession(store, 999, config=config)


def test_a_card_reviewed_elsewhere_meanwhile_is_answered_from_its_new_state(
    store: CardStore, fake_clock: FakeClock, config: Config
) -> None:
    ids = _cards(store, 1)
    mine = ReviewSession(store, config=config)
    other_store = CardStore(connect())
    theirs = ReviewSession(other_store, config=config)
    assert mine.next_card() is not None and theirs.next_card() is not None
    theirs.answer(Rating.Good)
    fake_clock.advance(seconds=5)
    result = mine.answer(Rating.Good)
    assert result.card.reps == 2
    logs = store.review_logs(ids[0])
    assert [log.state_before["reps"] for log in logs] == [0, 1]
    other_store.close()


def test_a_review_is_one_transaction(store: CardStore, fake_clock: FakeClock) -> None:
    ids = _cards(store, 1)
    card = store.get_card(ids[0])
    assert card is not None
    from dataclasses import replace

    after = replace(card, state=CardState.REVIEW, reps=1, stability=3.0, difficulty=5.0)
    with pytest.raises(sqlite3.IntegrityError):  # the log row fails its CHECK (rating 1-4)
        store.record_review(card, after, 9, fake_clock(), 100)
    assert store.get_card(ids[0]) == card  # the card update was rolled back with it
    assert store.conn.execute("SELECT COUNT(*) FROM review_log").fetchone()[0] == 0


def _reversed_and_cloze(store: CardStore) -> tuple[list[int], list[int], list[int]]:
    """A reversed note (2 cards), a cloze with c1/c2/c3, and two basic notes."""
    store.create_notes_bulk(
        [
            NoteDraft(NoteKind.REVERSED, "sun", "Sonne", deck="D"),
            NoteDraft(NoteKind.CLOZE, "{{c1::a}} {{c2::b}} {{c3::c}}", "", deck="D"),
            NoteDraft(NoteKind.BASIC, "q1", "a1", deck="D"),
            NoteDraft(NoteKind.BASIC, "q2", "a2", deck="D"),
        ]
    )
    rows = store.conn.execute("SELECT id, note_id FROM cards ORDER BY id").fetchall()
    by_note: dict[int, list[int]] = {}
    for card_id, note_id in rows:
        by_note.setdefault(note_id, []).append(card_id)
    reversed_ids, cloze_ids, *basic = by_note.values()
    return reversed_ids, cloze_ids, [ids[0] for ids in basic]


def test_answering_a_card_buries_its_siblings_until_the_next_study_day(
    store: CardStore, fake_clock: FakeClock, config: Config
) -> None:
    reversed_ids, cloze_ids, basic_ids = _reversed_and_cloze(store)
    session = ReviewSession(store, config=config, mix_new=False)
    shown: list[int] = []
    while (view := session.next_card()) is not None:
        shown.append(view.id)
        session.reveal()
        session.answer(Rating.Easy)  # graduates: nothing comes back today
    # one card per note today; the siblings wait for tomorrow (hand-written expectation)
    assert sorted(shown) == sorted([reversed_ids[0], cloze_ids[0], *basic_ids])
    for sibling in [reversed_ids[1], *cloze_ids[1:]]:
        card = store.get_card(sibling)
        assert card is not None and card.state == CardState.NEW
        until = card.buried_until
        assert until is not None and fake_clock() < until <= fake_clock() + timedelta(days=1)
        assert until.astimezone().hour == 4 and until.minute == 0  # the next 4 am, local
    # the next study day they are there again
    fake_clock.advance(days=1)
    later = ReviewSession(store, config=config, mix_new=False)
    assert later.counts().new == 3


def test_undo_of_an_answer_unburies_its_siblings(
    store: CardStore, fake_clock: FakeClock, config: Config
) -> None:
    reversed_ids, _cloze, _basic = _reversed_and_cloze(store)
    session = ReviewSession(store, config=config, mix_new=False)
    before = session.counts().new
    view = session.next_card()
    assert view is not None and view.id == reversed_ids[0]
    session.reveal()
    session.answer(Rating.Good)
    assert session.counts().new == before - 2  # the answered card and its reverse
    session.undo()
    assert session.counts().new == before
    sibling = store.get_card(reversed_ids[1])
    assert sibling is not None and sibling.buried_until is None


def test_bury_siblings_can_be_turned_off(store: CardStore, fake_clock: FakeClock) -> None:
    reversed_ids, _cloze, _basic = _reversed_and_cloze(store)
    session = ReviewSession(store, config=Config(bury_siblings=False), mix_new=False)
    session.next_card()
    session.reveal()
    session.answer(Rating.Easy)
    view = session.next_card()
    assert view is not None and view.id == reversed_ids[1]  # shown right after, as asked


def test_a_paused_clock_keeps_the_detour_out_of_the_answer_time(
    store: CardStore, fake_clock: FakeClock, config: Config
) -> None:
    _cards(store, 2)
    timer = FakeTimer()
    session = ReviewSession(store, config=config, timer=timer)
    assert session.next_card() is not None
    timer.value += 5  # reading the card
    session.pause_clock()
    timer.value += 300  # a chat about it: not answer time
    session.pause_clock()  # pausing twice changes nothing
    session.resume_clock()
    timer.value += 2
    session.resume_clock()  # resuming twice changes nothing
    session.answer(Rating.Good)
    assert session.summary.time_ms == 7000
    assert session.next_card() is not None
    timer.value += 3
    session.pause_clock()
    timer.value += 100
    session.answer(Rating.Good)  # answered while paused: the clock stopped at the pause
    assert session.summary.time_ms == 10_000
    logs = [row[0] for row in store.conn.execute("SELECT duration_ms FROM review_log ORDER BY id")]
    assert logs == [7000, 3000]


def test_a_pause_ends_with_its_card(
    store: CardStore, fake_clock: FakeClock, config: Config
) -> None:
    _cards(store, 2)
    timer = FakeTimer()
    session = ReviewSession(store, config=config, timer=timer)
    assert session.next_card() is not None
    session.pause_clock()
    session.bury()  # the paused card leaves; the next one has its own clock
    timer.value += 50
    assert session.next_card() is not None
    timer.value += 4
    session.resume_clock()  # the pause ended with the buried card: nothing to take out
    session.answer(Rating.Good)
    assert session.summary.time_ms == 4000


def test_replace_current_shows_the_edit_and_keeps_the_schedule(
    store: CardStore, fake_clock: FakeClock, config: Config
) -> None:
    ids = _cards(store, 2)
    session = ReviewSession(store, config=config)
    view = session.next_card()
    assert view is not None
    shown = {b.rating: b.label for b in session.buttons()}
    store.update_note(view.note.id, front="edited front")
    fresh = store.card_view(view.id)
    assert fresh is not None
    session.replace_current(fresh)
    assert session.current is fresh and session.current.front == "edited front"
    assert {b.rating: b.label for b in session.buttons()} == shown
    other = store.card_view(next(i for i in ids if i != view.id))
    assert other is not None
    with pytest.raises(ReviewError, match="Only the card on screen"):
        session.replace_current(other)
    session.drop_current()
    assert session.current is None and session.current_kind is None
    with pytest.raises(ReviewError):
        session.replace_current(fresh)
    nxt = session.next_card()  # the queue goes on without the dropped card
    assert nxt is not None and nxt.id == other.id
    assert session.next_card() is nxt


def test_decks_to_study_are_those_with_due_or_new_cards(
    store: CardStore, fake_clock: FakeClock
) -> None:
    from decks.review import decks_to_study

    store.create_notes_bulk([NoteDraft(NoteKind.BASIC, "q", "a", deck="New")])
    store.create_notes_bulk(
        [NoteDraft(NoteKind.BASIC, f"q{i}", "a", deck=deck) for i, deck in enumerate("DL")]
    )
    due = store.deck_by_name("D")
    later = store.deck_by_name("L")
    new = store.deck_by_name("New")
    assert due is not None and later is not None and new is not None
    for deck, days in ((due, -1), (later, 5)):
        (card_id,) = (
            row[0]
            for row in store.conn.execute("SELECT id FROM cards WHERE deck_id = ?", (deck.id,))
        )
        make_review(store, card_id, fake_clock(), due_in_days=days)
    assert sorted(decks_to_study(store, fake_clock())) == sorted([due.id, new.id])
    assert sorted(decks_to_study(store, fake_clock() + timedelta(days=6))) == sorted(
        [due.id, later.id, new.id]
    )
