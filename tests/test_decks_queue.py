"""Today's queue: daily limits, the 4 am rollover, order, learn-ahead, bury and suspend."""

from __future__ import annotations

from datetime import timedelta

from core.config import Config
from decks.models import NoteKind
from decks.queue import LEARNING, NEW, REVIEW, DailyQueue
from decks.repository import CardStore, NoteDraft, bury_until
from decks.review import ReviewSession
from tests.test_decks_helpers import FakeClock, make_review

pytest_plugins = ["tests.test_decks_helpers"]


def _notes(store: CardStore, count: int, deck: str = "D") -> list[int]:
    drafts = [NoteDraft(NoteKind.BASIC, f"q{i}", f"a{i}", deck=deck) for i in range(count)]
    store.create_notes_bulk(drafts)
    rows = store.conn.execute(
        "SELECT c.id FROM cards c JOIN decks d ON d.id = c.deck_id WHERE d.name = ? ORDER BY c.id",
        (deck,),
    )
    return [row[0] for row in rows]


def test_new_cards_per_day_and_rollover(
    store: CardStore, fake_clock: FakeClock, config: Config
) -> None:
    _notes(store, 30)
    queue = DailyQueue(store, config=config)
    assert queue.counts().new == 20
    session = ReviewSession(store, config=config)
    for _ in range(5):
        view = session.next_card()
        assert view is not None and session.current_kind == NEW
        session.answer(3)
    assert DailyQueue(store, config=config).counts().new == 15
    fake_clock.set(fake_clock().replace(hour=3, minute=59) + timedelta(days=1))
    assert DailyQueue(store, config=config).counts().new == 15  # still the same study day
    fake_clock.advance(minutes=1)  # 04:00: a new day
    assert DailyQueue(store, config=config).counts().new == 20
    config.new_per_day = 4
    assert DailyQueue(store, config=config).counts().new == 4


def test_reviews_per_day_limit(store: CardStore, fake_clock: FakeClock, config: Config) -> None:
    ids = _notes(store, 230)
    for card_id in ids:
        make_review(store, card_id, fake_clock(), due_in_days=-2)
    queue = DailyQueue(store, config=config)
    assert queue.counts().review == 200 and queue.counts().new == 0
    session = ReviewSession(store, config=config)
    for _ in range(10):
        assert session.next_card() is not None
        session.answer(3)
    assert DailyQueue(store, config=config).counts().review == 190
    assert DailyQueue(store, config=config).reviews_done_today == 10


def test_review_due_later_today_counts_until_rollover(
    store: CardStore, fake_clock: FakeClock, config: Config
) -> None:
    ids = _notes(store, 3)
    now = fake_clock()
    make_review(store, ids[0], now, due_in_days=0.5)  # 21:00 today: before 04:00 tomorrow
    make_review(store, ids[1], now, due_in_days=0.9)  # 06:36 tomorrow: another study day
    store.set_suspended([ids[2]])
    queue = DailyQueue(store, config=config)
    assert list(queue.reviews) == [ids[0]] and queue.counts().new == 0


def test_order_learning_first_then_mixed_then_learn_ahead(
    store: CardStore, fake_clock: FakeClock, config: Config
) -> None:
    ids = _notes(store, 12)
    now = fake_clock()
    for card_id in ids[:8]:
        make_review(store, card_id, now, due_in_days=-1)
    store.conn.execute(
        "UPDATE cards SET state = 1, step = 1, stability = 1, difficulty = 5, due = ?,"
        " last_review = ? WHERE id = ?",
        (
            (now - timedelta(minutes=1)).isoformat(timespec="microseconds"),
            (now - timedelta(minutes=11)).isoformat(timespec="microseconds"),
            ids[8],
        ),
    )
    queue = DailyQueue(store, config=config)
    assert queue.counts().to_dict() == {"new": 3, "learning": 1, "review": 8}
    kinds = []
    while (popped := queue.pop_next(now)) is not None:
        kinds.append(popped[1])
    assert kinds[0] == LEARNING
    rest = kinds[1:]
    assert rest.count(NEW) == 3 and rest.count(REVIEW) == 8
    new_positions = [i for i, kind in enumerate(rest) if kind == NEW]
    assert new_positions[0] > 0 and new_positions[-1] < len(rest) - 1  # spread, not bunched

    # a learning card due in 15 minutes is shown early only when nothing else is left
    queue.add_learning(ids[9], now + timedelta(minutes=15))
    queue.add_learning(ids[10], now + timedelta(minutes=45))
    assert queue.pop_next(now) == (ids[9], LEARNING)
    assert queue.pop_next(now) is None
    assert queue.next_learning_due() == now + timedelta(minutes=45)


def test_deck_queue_includes_subdecks_only(
    store: CardStore, fake_clock: FakeClock, config: Config
) -> None:
    parent = _notes(store, 2, "Lang")
    child = _notes(store, 2, "Lang::French")
    _notes(store, 2, "Physics")
    lang = store.deck_by_name("Lang")
    assert lang is not None
    queue = DailyQueue(store, lang.id, config=config)
    assert sorted(queue.new) == sorted(parent + child)


def test_deck_preset_limits_apply(store: CardStore, fake_clock: FakeClock, config: Config) -> None:
    _notes(store, 10, "Small")
    deck = store.deck_by_name("Small")
    assert deck is not None
    preset = store.create_preset("Light", new_per_day=3)
    store.set_deck_preset(deck.id, preset.id)
    assert DailyQueue(store, deck.id, config=config).counts().new == 3
    assert DailyQueue(store, config=config).counts().new == 10  # all decks: default preset


def test_bury_hides_until_the_next_study_day(
    store: CardStore, fake_clock: FakeClock, config: Config
) -> None:
    ids = _notes(store, 2)
    store.bury([ids[0]], bury_until(fake_clock(), config.day_rollover_hour))
    assert list(DailyQueue(store, config=config).new) == [ids[1]]
    fake_clock.set(fake_clock().replace(hour=4) + timedelta(days=1))
    assert list(DailyQueue(store, config=config).new) == ids


def test_stale_queue_entries_are_skipped(
    store: CardStore, fake_clock: FakeClock, config: Config
) -> None:
    ids = _notes(store, 3)
    session = ReviewSession(store, config=config)
    store.set_suspended([ids[0]])  # e.g. from the browser or another instance
    store.delete_cards([ids[1]])
    view = session.next_card()
    assert view is not None and view.id == ids[2]
    session.answer(4)
    assert session.next_card() is None
