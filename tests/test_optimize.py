"""The optimiser: fits that beat the defaults on held-out reviews, presets, reschedule,
desired retention and workload, and `ponder optimize`."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.config import Config
from decks.optimize import (
    MIN_REVIEWS,
    NotEnoughReviews,
    ReviewRecord,
    build_training_set,
    check_retention,
    default_parameters,
    evaluate,
    optimize_preset,
    optimize_records,
    reschedule_preset,
    reset_parameters,
    set_desired_retention,
    simulate_learner,
    simulate_workload,
    workload_for_preset,
)
from decks.repository import CardStore


def _true_parameters() -> list[float]:
    """A learner unlike the default one: new cards last much longer, stability then grows
    more slowly, and the forgetting curve has another shape (decay)."""
    true = default_parameters()
    true[0], true[1], true[2], true[3] = 2.0, 6.0, 12.0, 30.0
    true[8], true[9], true[20] = 0.9, 0.4, 0.5
    return true


def test_fitted_parameters_predict_held_out_reviews_better_than_defaults() -> None:
    true = _true_parameters()
    log = simulate_learner(true, cards=600, days=365, seed=11)
    # Hold out whole cards: every fifth card's history is never seen by the optimiser.
    train = [record for record in log.records if record.card_id % 5]
    held_out = build_training_set(record for record in log.records if record.card_id % 5 == 0)
    assert held_out.size > 500

    result = optimize_records(train)
    assert len(result.parameters) == 21 and result.parameters != default_parameters()
    fitted = evaluate(result.parameters, held_out)
    defaults = evaluate(default_parameters(), held_out)
    assert fitted.log_loss < defaults.log_loss - 0.01
    # ... and comes close to the truth the learner was simulated with
    assert fitted.log_loss < evaluate(true, held_out).log_loss + 0.01
    # and the fit on the training data improved too (what the learner is shown)
    assert result.after.log_loss < result.before.log_loss
    assert result.improved


def test_too_few_reviews_are_refused_with_how_many_more() -> None:
    log = simulate_learner(_true_parameters(), cards=30, days=60, seed=2)
    training = build_training_set(log.records)
    assert 0 < training.size < MIN_REVIEWS
    with pytest.raises(NotEnoughReviews) as caught:
        optimize_records(log.records)
    message = str(caught.value)
    assert f"at least {MIN_REVIEWS}" in message
    assert f"Review {MIN_REVIEWS - training.size} more" in message


def test_training_items_skip_same_day_steps_and_restart_after_a_reset() -> None:
    start = datetime(2026, 1, 1, 9, tzinfo=UTC)
    records = [
        ReviewRecord(1, start, 3, 0),
        ReviewRecord(1, start + timedelta(minutes=10), 3, 1),  # same day: not predicted
        ReviewRecord(1, start + timedelta(days=3), 3, 2),
        ReviewRecord(1, start + timedelta(days=10), 1, 2),
        ReviewRecord(1, start + timedelta(days=20), 3, 0),  # reset: a fresh history
        ReviewRecord(1, start + timedelta(days=25), 3, 2),
    ]
    training = build_training_set(records)
    assert training.size == 3 and training.cards == 1 and training.reviews == 6
    last = training.items[-1]
    assert len(last.reviews) == 2  # only the reviews since the reset


def test_retention_checks_and_workload_grows_with_retention() -> None:
    assert check_retention(0.9) is None
    assert "below 0.80" in (check_retention(0.75) or "")
    assert "above 0.95" in (check_retention(0.97) or "")
    for bad in (0.5, 0.995, math.nan):
        with pytest.raises(ValueError, match=r"0\.70 to 0\.99"):
            check_retention(bad)
    loads = [simulate_workload(r, deck_size=300, days=120) for r in (0.8, 0.9, 0.97)]
    assert loads[0].reviews_per_day < loads[1].reviews_per_day < loads[2].reviews_per_day
    assert loads[2].warning and loads[1].warning is None
    again = simulate_workload(0.9, deck_size=300, days=120)
    assert again.reviews_per_day == loads[1].reviews_per_day  # seeded: stable figures


# -- presets in the database -------------------------------------------------------------------


@pytest.fixture
def store(ponder_home: Path) -> CardStore:
    from core.db import connect

    card_store = CardStore(connect())
    yield card_store
    card_store.close()


def _fill_with_history(store: CardStore, deck: str, cards: int, seed: int) -> int:
    """Notes in `deck` whose review log is a simulated learner's (through record_review)."""
    from fsrs import Rating

    from decks import scheduling

    log = simulate_learner(_true_parameters(), cards=cards, days=300, seed=seed)
    start = log.records[0].reviewed_at - timedelta(days=1)
    ids = {}
    for index in range(cards):
        created = store.create_note("basic", f"{deck} q{index}", "a", deck=deck, now=start)
        ids[index + 1] = created.card_ids[0]
    scheduler = scheduling.scheduler_for_deck(store, store.deck_by_name(deck).id, Config())
    for record in sorted(log.records, key=lambda r: r.reviewed_at):
        card = store.get_card(ids[record.card_id])
        outcome = scheduling.review(scheduler, card, Rating(record.rating), record.reviewed_at)
        store.record_review(card, outcome.after, record.rating, record.reviewed_at, 3000)
    return len(log.records)


def test_optimize_preset_stores_parameters_with_date_and_reset_restores_defaults(
    store: CardStore,
) -> None:
    _fill_with_history(store, "Talks::Physics", cards=120, seed=4)
    deck = store.deck_by_name("Talks::Physics")
    preset = store.preset_for_deck(deck.id)
    assert preset.parameters is None

    moment = datetime(2026, 2, 1, tzinfo=UTC)
    outcome = optimize_preset(store, preset.id, now=moment)
    assert outcome.saved and outcome.decks == ["Talks", "Talks::Physics"]
    stored = store.preset(preset.id)
    assert stored.parameters == pytest.approx(tuple(outcome.result.parameters))
    assert stored.optimized_at == moment
    assert json.loads(json.dumps(outcome.to_dict()))["result"]["after"]["log_loss"] > 0

    # Scheduling now uses them.
    from decks.scheduling import scheduler_for_deck

    assert scheduler_for_deck(store, deck.id, Config()).parameters == pytest.approx(
        stored.parameters
    )

    again = optimize_preset(store, preset.id, now=moment)
    assert not again.saved  # the stored ones already fit: nothing changes
    assert reset_parameters(store, preset.id).parameters is None
    assert store.preset(preset.id).optimized_at is None


def test_reschedule_replays_history_with_the_new_parameters(store: CardStore) -> None:
    _fill_with_history(store, "Deck", cards=40, seed=9)
    preset = store.preset_for_deck(store.deck_by_name("Deck").id)
    before = {row[0]: row[1] for row in store.conn.execute("SELECT id, due FROM cards")}
    reviews_before = store.conn.execute("SELECT COUNT(*) FROM review_log").fetchone()[0]
    parameters = _true_parameters()
    store.set_preset_parameters(preset.id, parameters)

    report = reschedule_preset(store, preset.id, config=Config())
    assert report.rescheduled > 0
    after = {row[0]: row[1] for row in store.conn.execute("SELECT id, due FROM cards")}
    assert sum(before[i] != after[i] for i in before) >= report.rescheduled // 2
    assert store.conn.execute("SELECT COUNT(*) FROM review_log").fetchone()[0] == reviews_before
    # The replayed state is what py-fsrs computes from the log with those parameters.
    from fsrs import Rating, ReviewLog, Scheduler

    from decks.scheduling import to_fsrs_card

    card_id = next(iter(after))
    card = store.get_card(card_id)
    logs = store.review_logs(card_id)
    expected = Scheduler(parameters=parameters, enable_fuzzing=False).reschedule_card(
        to_fsrs_card(card),
        [ReviewLog(card_id, Rating(log.rating), log.reviewed_at, None) for log in logs],
    )
    assert card.stability == pytest.approx(expected.stability)
    assert card.difficulty == pytest.approx(expected.difficulty)


def test_desired_retention_and_workload_for_a_preset(store: CardStore) -> None:
    store.create_note("basic", "q", "a", deck="Lang")
    preset = store.create_preset("Languages")
    store.set_deck_preset(store.deck_by_name("Lang").id, preset.id)
    change = set_desired_retention(store, preset.id, 0.97)
    assert change.preset.desired_retention == pytest.approx(0.97)
    assert change.for_settings is None and "above 0.95" in change.warning
    with pytest.raises(ValueError):
        set_desired_retention(store, preset.id, 1.2)
    assert store.preset(preset.id).desired_retention == pytest.approx(0.97)
    high = workload_for_preset(store, preset.id, config=Config())
    low = workload_for_preset(store, preset.id, 0.85, config=Config())
    assert high.desired_retention == pytest.approx(0.97)
    assert high.reviews_per_day > low.reviews_per_day > 0


def test_cli_optimize_refuses_too_little_history(
    store: CardStore, capsys: pytest.CaptureFixture
) -> None:
    from tui.cli import main

    store.create_note("basic", "q", "a", deck="Small")
    assert main(["optimize", "--deck", "Small"]) == 1
    error = capsys.readouterr().err
    assert f"needs at least {MIN_REVIEWS} reviews" in error and "Review 400 more" in error
    assert main(["optimize", "--deck", "Nope"]) == 1
    assert "No deck named 'Nope'" in capsys.readouterr().err


def test_cli_optimize_json_and_reschedule(store: CardStore, capsys: pytest.CaptureFixture) -> None:
    from tui.cli import main

    _fill_with_history(store, "Big", cards=120, seed=4)
    assert main(["optimize", "--deck", "Big", "--reschedule", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["saved"] is True and data[0]["rescheduled"]["rescheduled"] > 0
    assert data[0]["result"]["after"]["log_loss"] < data[0]["result"]["before"]["log_loss"]
    assert main(["optimize", "--deck", "Big", "--retention", "0.75"]) == 0
    printed = capsys.readouterr().out
    assert "own preset 'Big'" in printed and "every new deck" in printed
    assert "desired retention set to 0.75" in printed and "below 0.80" in printed
    assert "reviews/day" in printed
    assert main(["optimize", "--deck", "Big", "--retention", "0.5"]) == 1
    assert "0.70 to 0.99" in capsys.readouterr().err
    assert main(["optimize", "--deck", "Big", "--reset", "--json"]) == 0
    assert store.preset_for_deck(store.deck_by_name("Big").id).parameters is None


def test_the_default_presets_retention_is_the_setting(store: CardStore) -> None:
    """One truth: the Default preset keeps no retention of its own (Settings shows it)."""
    from decks.models import DEFAULT_PRESET_ID

    store.update_preset(DEFAULT_PRESET_ID, desired_retention=0.8)  # an older override
    change = set_desired_retention(store, DEFAULT_PRESET_ID, 0.85)
    assert change.for_settings == pytest.approx(0.85)
    assert store.preset(DEFAULT_PRESET_ID).desired_retention is None


def test_a_deck_sharing_a_preset_gets_its_own(store: CardStore) -> None:
    from decks.optimize import own_preset_for_deck

    for deck in ("Talks", "Talks::Physics", "Languages"):
        store.create_note("basic", "q", "a", deck=deck)
    talks = store.deck_by_name("Talks")
    store.set_preset_parameters(1, [0.5] * 21)
    preset, note = own_preset_for_deck(store, talks.id)
    assert preset.id != 1 and preset.name == "Talks"
    assert preset.parameters == tuple([0.5] * 21)  # a copy of what it shared
    assert "own preset" in note and "Languages" in note and "Talks::Physics" in note
    assert store.preset_for_deck(talks.id).id == preset.id
    assert store.preset_for_deck(store.deck_by_name("Languages").id).id == 1
    assert store.preset_for_deck(store.deck_by_name("Talks::Physics").id).id == 1
    again, note = own_preset_for_deck(store, talks.id)  # now it is its own: nothing new
    assert again.id == preset.id and note is None


def test_cli_retention_for_a_deck_leaves_the_setting_and_other_decks_alone(
    store: CardStore, capsys: pytest.CaptureFixture
) -> None:
    """`ponder optimize --retention 0.85 --deck Talks`: Talks at 0.85, Settings still 0.9;
    without --deck the Default preset's value is the setting itself."""
    from core import config as config_store
    from decks.scheduling import settings_for
    from tui.cli import main
    from tui.screens.stats import preset_text

    for deck in ("Talks", "Languages"):
        store.create_note("basic", "q", "a", deck=deck)
    assert main(["optimize", "--retention", "0.85", "--deck", "Talks"]) == 0
    assert "own preset 'Talks'" in capsys.readouterr().out
    config = config_store.load()
    talks = store.preset_for_deck(store.deck_by_name("Talks").id)
    languages = store.preset_for_deck(store.deck_by_name("Languages").id)
    assert config.desired_retention == pytest.approx(0.9)
    assert settings_for(talks, config).desired_retention == pytest.approx(0.85)
    assert settings_for(languages, config).desired_retention == pytest.approx(0.9)

    assert main(["optimize", "--retention", "0.88", "--json"]) == 0
    capsys.readouterr()
    config = config_store.load()
    languages = store.preset_for_deck(store.deck_by_name("Languages").id)
    assert config.desired_retention == pytest.approx(0.88)  # what Settings shows
    assert "0.88 (settings)" in preset_text(languages, config.desired_retention).plain  # Stats
    talks = store.preset_for_deck(store.deck_by_name("Talks").id)
    assert settings_for(talks, config).desired_retention == pytest.approx(0.88)
