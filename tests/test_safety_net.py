"""Tests that catch deliberate bugs the rest of the suite let through (issue 16's list):
FSRS state after a review checked against py-fsrs itself, the study day rolling over in the
middle of a session, and one deck's new cards not using up another deck's limit."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State

from core.config import Config
from decks.models import CardState, NoteKind
from decks.queue import NEW, REVIEW
from decks.repository import CardStore, NoteDraft
from decks.review import ReviewSession
from decks.scheduling import SchedulerSettings
from tests.test_decks_helpers import FakeClock, force_state

pytest_plugins = ["tests.test_decks_helpers"]


def _cards(store: CardStore, count: int, deck: str = "D") -> list[int]:
    store.create_notes_bulk(
        [NoteDraft(NoteKind.BASIC, f"{deck} q{i}", f"a{i}", deck=deck) for i in range(count)]
    )
    rows = store.conn.execute(
        "SELECT c.id FROM cards c JOIN decks d ON d.id = c.deck_id WHERE d.name = ? ORDER BY c.id",
        (deck,),
    )
    return [row[0] for row in rows]


# -- FSRS: the state Ponder stores equals what py-fsrs computes --------------------------------

# Each starting state as py-fsrs spells it (the oracle) and as Ponder stores it. A new card
# is py-fsrs's fresh Card (Learning, step 0, no memory state).
STARTS = {
    "new": dict(state=None, step=None, stability=None, difficulty=None, days_ago=None),
    "learning": dict(state=State.Learning, step=1, stability=2.3, difficulty=6.2, days_ago=0.01),
    "review": dict(state=State.Review, step=None, stability=12.5, difficulty=4.4, days_ago=15),
    "relearning": dict(
        state=State.Relearning, step=0, stability=1.7, difficulty=8.1, days_ago=0.02
    ),
}


@pytest.mark.parametrize("rating", list(Rating), ids=lambda r: r.name)
@pytest.mark.parametrize("start", list(STARTS))
def test_a_review_stores_exactly_what_py_fsrs_computes(
    store: CardStore,
    fake_clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    start: str,
    rating: Rating,
) -> None:
    unfuzzed = SchedulerSettings.scheduler
    monkeypatch.setattr(
        SchedulerSettings, "scheduler", lambda self: unfuzzed(replace(self, enable_fuzzing=False))
    )
    now = fake_clock()
    [card_id] = _cards(store, 1)
    spec = STARTS[start]
    due = now - timedelta(minutes=5)
    if spec["state"] is None:
        oracle_card = FsrsCard(card_id=card_id, due=due)
    else:
        last_review = now - timedelta(days=spec["days_ago"])
        oracle_card = FsrsCard(
            card_id=card_id,
            state=spec["state"],
            step=spec["step"],
            stability=spec["stability"],
            difficulty=spec["difficulty"],
            due=due,
            last_review=last_review,
        )
        force_state(
            store,
            card_id,
            state=int(spec["state"]),
            step=spec["step"],
            stability=spec["stability"],
            difficulty=spec["difficulty"],
            due=due,
            last_review=last_review,
            reps=4,
        )
    expected, _log = Scheduler(enable_fuzzing=False).review_card(oracle_card, rating, now)

    session = ReviewSession(store, config=Config())
    view = session.next_card()
    assert view is not None and view.id == card_id
    session.reveal()
    session.answer(rating)

    stored = store.get_card(card_id)
    assert stored is not None
    assert int(stored.state) == int(expected.state)
    assert stored.step == expected.step
    assert stored.stability == pytest.approx(expected.stability, rel=1e-9)
    assert stored.difficulty == pytest.approx(expected.difficulty, rel=1e-9)
    assert abs((stored.due - expected.due).total_seconds()) < 0.001
    assert stored.last_review == now
    if start == "new":
        assert stored.state != CardState.NEW


# -- the study day rolling over mid-session -----------------------------------------------------


def test_the_study_day_rolling_over_mid_session_rebuilds_limits_and_due_cards(
    store: CardStore, fake_clock: FakeClock
) -> None:
    fake_clock.set(datetime(2026, 3, 3, 3, 55, tzinfo=UTC))  # 4 am local (UTC) rollover
    config = Config(new_per_day=2)
    _cards(store, 5)
    [later] = _cards(store, 1, deck="Later")
    # A review due at 06:00: part of the next study day, not of the one ending at 04:00.
    force_state(
        store,
        later,
        state=int(CardState.REVIEW),
        step=None,
        stability=20.0,
        difficulty=5.0,
        due=datetime(2026, 3, 3, 6, 0, tzinfo=UTC),
        last_review=datetime(2026, 2, 12, 6, 0, tzinfo=UTC),
        reps=3,
    )
    session = ReviewSession(store, config=config)
    counts = session.counts()
    assert (counts.new, counts.review) == (2, 0)
    for _ in range(2):
        view = session.next_card()
        assert view is not None and session.current_kind == NEW
        session.reveal()
        session.answer(Rating.Easy)  # straight to review, days away: nothing comes back
    assert session.next_card() is None, "today's limit is used up"

    fake_clock.set(datetime(2026, 3, 3, 4, 5, tzinfo=UTC))  # the same session, a new day
    kinds = []
    while (view := session.next_card()) is not None:
        kinds.append(session.current_kind)
        session.reveal()
        session.answer(Rating.Easy)
    assert sorted(kinds) == sorted([NEW, NEW, REVIEW]), kinds


# -- one deck's new cards do not use up another deck's limit ------------------------------------


def test_new_cards_studied_in_one_deck_leave_another_decks_limit_alone(
    store: CardStore, fake_clock: FakeClock
) -> None:
    config = Config(new_per_day=3)
    _cards(store, 5, deck="Alpha")
    _cards(store, 5, deck="Beta")
    alpha = store.deck_by_name("Alpha")
    beta = store.deck_by_name("Beta")
    assert alpha is not None and beta is not None
    session = ReviewSession(store, alpha.id, config=config)
    for _ in range(3):
        assert session.next_card() is not None and session.current_kind == NEW
        session.reveal()
        session.answer(Rating.Easy)
    assert session.next_card() is None
    assert ReviewSession(store, alpha.id, config=config).counts().new == 0
    assert ReviewSession(store, beta.id, config=config).counts().new == 3
    beta_session = ReviewSession(store, beta.id, config=config)
    studied = 0
    while beta_session.next_card() is not None:
        beta_session.reveal()
        beta_session.answer(Rating.Easy)
        studied += 1
    assert studied == 3
