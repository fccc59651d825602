"""FSRS through py-fsrs: conversions, previews that are committed as shown, leeches."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fsrs import Rating, Scheduler

from core.config import Config
from decks.models import Card, CardState
from decks.scheduling import (
    is_leech_lapse,
    preview,
    retrievability,
    review,
    settings_for,
    to_fsrs_card,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _card(**changes: object) -> Card:
    values: dict[str, object] = {
        "id": 7,
        "note_id": 1,
        "ord": 0,
        "deck_id": 1,
        "state": CardState.NEW,
        "due": NOW,
    }
    values.update(changes)
    return Card(**values)  # type: ignore[arg-type]


def _review_card(stability: float = 30.0, lapses: int = 0) -> Card:
    return _card(
        state=CardState.REVIEW,
        stability=stability,
        difficulty=5.0,
        last_review=NOW - timedelta(days=stability),
        due=NOW,
        reps=5,
        lapses=lapses,
    )


def _scheduler() -> Scheduler:
    return settings_for(None, Config()).scheduler()


def test_new_card_becomes_a_fresh_learning_card() -> None:
    fsrs_card = to_fsrs_card(_card())
    assert fsrs_card.card_id == 7 and fsrs_card.step == 0 and fsrs_card.stability is None
    outcomes = preview(_scheduler(), _card(), NOW)
    labels = {rating: outcome.label for rating, outcome in outcomes.items()}
    assert labels[Rating.Again] == "1m" and labels[Rating.Good] == "10m"
    assert labels[Rating.Hard] == "6m"  # py-fsrs: halfway between the first two steps
    good = outcomes[Rating.Good].after
    assert good.state == CardState.LEARNING and good.step == 1 and good.reps == 1
    assert good.last_review == NOW and good.lapses == 0
    easy = outcomes[Rating.Easy].after
    assert easy.state == CardState.REVIEW and easy.step is None


def test_failed_review_is_a_lapse_into_relearning() -> None:
    outcome = review(_scheduler(), _review_card(lapses=2), Rating.Again, NOW)
    assert outcome.after.state == CardState.RELEARNING and outcome.after.lapses == 3
    assert outcome.label == "10m" and outcome.lapsed
    # Again while learning is not a lapse
    learning = review(_scheduler(), _card(), Rating.Again, NOW)
    assert learning.after.lapses == 0 and not learning.lapsed


def test_other_utc_zones_are_accepted() -> None:
    moment = NOW.astimezone(ZoneInfo("UTC"))
    outcome = review(_scheduler(), _review_card(), Rating.Good, moment)
    assert outcome.after.last_review is not None and outcome.after.last_review.tzinfo is UTC


def test_the_previewed_interval_is_the_committed_one() -> None:
    """Fuzz is random: re-reviewing gives other intervals, the kept preview does not."""
    scheduler = _scheduler()
    card = _review_card(stability=60.0)
    seen = {review(scheduler, card, Rating.Good, NOW).interval for _ in range(40)}
    assert len(seen) > 1, "fuzz should vary the interval, else this test proves nothing"
    for _ in range(20):
        outcomes = preview(scheduler, card, NOW)
        shown = outcomes[Rating.Good]
        answered = shown.at(NOW + timedelta(seconds=37))
        assert answered.after.due - answered.reviewed_at == shown.interval
        assert answered.label == shown.label
        assert answered.after.stability == shown.after.stability


def test_labels_grow_with_stability() -> None:
    scheduler = _scheduler()
    labels = [
        review(scheduler, _review_card(stability=s), Rating.Good, NOW).label
        for s in (1.0, 30.0, 400.0)
    ]
    assert labels[0].endswith("d")
    assert labels[1].endswith("mo")
    assert labels[2].endswith("y")


def test_leech_at_eight_lapses_then_every_four() -> None:
    scheduler = _scheduler()
    flags = {}
    for lapses in range(5, 17):
        flags[lapses + 1] = is_leech_lapse(
            review(scheduler, _review_card(lapses=lapses), Rating.Again, NOW)
        )
    assert [n for n, flag in flags.items() if flag] == [8, 12, 16]
    passed = review(scheduler, _review_card(lapses=7), Rating.Good, NOW)
    assert not is_leech_lapse(passed)


def test_retrievability_uses_fractional_days() -> None:
    scheduler = _scheduler()
    assert retrievability(scheduler, _card(), NOW) is None
    card = _review_card(stability=10.0)
    at_stability = retrievability(scheduler, card, NOW)
    assert at_stability is not None and abs(at_stability - 0.9) < 1e-9  # R(S) = 90% by definition
    half_day = retrievability(scheduler, card, NOW + timedelta(hours=12))
    full_day = retrievability(scheduler, card, NOW + timedelta(days=1))
    assert half_day is not None and full_day is not None
    assert at_stability > half_day > full_day


def test_settings_follow_config_and_preset() -> None:
    config = Config(learning_steps=["2m", "20m", "1d"], relearning_steps=["5m"])
    config.desired_retention = 0.85
    settings = settings_for(None, config)
    assert [s.total_seconds() for s in settings.learning_steps] == [120, 1200, 86400]
    assert settings.desired_retention == 0.85 and settings.enable_fuzzing
    scheduler = settings.scheduler()
    outcome = review(scheduler, _card(), Rating.Good, NOW)
    assert outcome.label == "20m"


def test_random_sequences_keep_counts_consistent() -> None:
    scheduler = _scheduler()
    rng = random.Random(5)
    card = _card()
    moment = NOW
    lapses = 0
    for step in range(200):
        rating = Rating(rng.randint(1, 4))
        outcome = review(scheduler, card, rating, moment)
        if card.state == CardState.REVIEW and rating == Rating.Again:
            lapses += 1
        card = outcome.after
        assert card.reps == step + 1 and card.lapses == lapses
        assert card.due > moment and 1 <= (card.difficulty or 0) <= 10
        moment = card.due + timedelta(minutes=rng.randint(0, 600))
