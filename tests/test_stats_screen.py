"""Pilot tests for the stats screen and the preset screen (retention, workload, optimise).

The data is built through the decks domain (CardStore.create_note, scheduling.review,
CardStore.record_review) in the test's own PONDER_HOME, with local time = UTC and a fixed
"now", so the expected numbers can be counted by hand.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fsrs import Rating
from textual.widgets import Input, Select

from core import config as config_store
from core.config import Config
from core.db import connect
from decks import scheduling
from decks.models import CardState
from decks.repository import CardStore
from decks.stats import level_edges, level_of
from tests.tui_helpers import screen_text, wait_until
from tui.app import PonderApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.optimize import PresetScreen
from tui.screens.stats import StatsScreen, format_seconds, integer_ticks
from tui.widgets.heatmap import Heatmap

SIZE = (100, 30)
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday; the study day began 04:00 UTC


@pytest.fixture(autouse=True)
def utc_now(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time = UTC and a frozen now, so study days and counts are predictable."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setenv("PONDER_FAKE_NOW", NOW.isoformat())
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def store(ponder_home: Any) -> Iterator[CardStore]:
    card_store = CardStore(connect())
    yield card_store
    card_store.close()


def review(store: CardStore, card_id: int, rating: int, when: datetime, ms: int) -> None:
    card = store.get_card(card_id)
    assert card is not None
    scheduler = scheduling.scheduler_for_deck(store, card.deck_id, Config())
    outcome = scheduling.review(scheduler, card, Rating(rating), when)
    store.record_review(card, outcome.after, rating, when, ms)


@pytest.fixture
def small(store: CardStore) -> dict[str, Any]:
    """Physics (4 cards) and History::Rome (2 cards), five reviews over three days."""
    created = NOW - timedelta(days=10)
    physics = [
        store.create_note("basic", f"P{i}", "a", deck="Physics", now=created).cards[0].id
        for i in range(4)
    ]
    rome = [
        store.create_note("basic", f"R{i}", "a", deck="History::Rome", now=created).cards[0].id
        for i in range(2)
    ]
    day = timedelta(days=1)
    review(store, physics[0], 3, NOW - 2 * day - timedelta(hours=2), 4000)
    review(store, physics[0], 3, NOW - day - timedelta(hours=2), 6000)
    review(store, physics[0], 3, NOW - timedelta(hours=2), 5000)
    review(store, physics[1], 1, NOW - timedelta(hours=3), 9000)
    review(store, rome[0], 3, NOW - day - timedelta(hours=1), 7000)
    physics_deck = store.deck_by_name("Physics")
    rome_deck = store.deck_by_name("History::Rome")
    assert physics_deck is not None and rome_deck is not None
    return {"physics": physics_deck.id, "rome": rome_deck.id, "cards": physics + rome}


def true_retention(store: CardStore, deck_ids: list[int] | None) -> str:
    """Brute force from the log: passed / reviewed among review-state cards, as shown."""
    logs = [log for log in store.iter_review_logs(deck_ids) if int(log.prior_state) == 2]
    if not logs:
        return "–"
    return f"{sum(log.rating > 1 for log in logs) / len(logs) * 100:.1f} %"


def number(text: str, label: str) -> str:
    """The value printed after `label` in the numbers column."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(label + " "):
            return re.split("[│╭╰]", stripped[len(label) :])[0].strip()
    raise AssertionError(f"{label!r} not on screen:\n{text}")


async def open_stats(app: PonderApp, pilot: Any, deck_id: int | None = None) -> StatsScreen:
    screen = StatsScreen(deck_id)
    app.push_screen(screen)
    await wait_until(pilot, lambda: screen.loaded, timeout=15)
    await pilot.pause()
    return screen


# -- pure helpers ----------------------------------------------------------------------


def test_helpers() -> None:
    assert format_seconds(None) == "–"
    assert format_seconds(6.04) == "6.0 s"
    assert format_seconds(200) == "3m 20s"
    assert format_seconds(3900) == "1h 05m"
    for top in (1, 3, 7, 13, 99, 1234):
        ticks = integer_ticks(top)
        assert ticks[0] == 0 and ticks[-1] >= top and all(isinstance(t, int) for t in ticks)
    edges = level_edges([0, 1, 2, 3, 4, 5, 6, 7, 8])
    assert level_of(0, edges) == 0
    assert level_of(1, edges) == 1
    assert level_of(8, edges) == 4
    assert sorted({level_of(n, edges) for n in range(1, 9)}) == [1, 2, 3, 4]


def test_heatmap_lays_out_weeks_monday_first() -> None:
    start = date(2026, 1, 7)  # a Wednesday
    days = [(start + timedelta(days=i), i % 3) for i in range(20)]
    heatmap = Heatmap(days)
    weeks = heatmap.weeks()
    assert weeks[0][0] is None and weeks[0][1] is None  # Mon, Tue before the span
    assert weeks[0][2] == (start, 0)
    assert sum(cell is not None for column in weeks for cell in column) == 20
    assert len(heatmap.weeks(2)) == 2 and heatmap.weeks(2)[-1] == weeks[-1]


# -- the stats screen ---------------------------------------------------------------------


async def test_paints_loading_first_then_the_figures_for_all_decks(
    small: dict[str, Any], store: CardStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import decks.stats

    release = threading.Event()
    real = decks.stats.compute_stats

    def held(*args: Any, **kwargs: Any) -> Any:
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(decks.stats, "compute_stats", held)
    app = PonderApp()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = StatsScreen()
        app.push_screen(screen)
        await wait_until(pilot, lambda: screen.painted)
        # Painted at once, with a loading state, before any figure exists.
        assert not screen.loaded
        assert screen.query_one("#stats-numbers").loading
        assert all(screen.query_one(f"#figure-{k}").loading for k in ("forecast", "stability"))
        assert "Computing" in screen_text(app)
        release.set()
        await wait_until(pilot, lambda: screen.loaded, timeout=15)
        await pilot.pause()
        assert not screen.query_one("#stats-numbers").loading
        text = screen_text(app)
        assert number(text, "Reviews") == "2"
        assert number(text, "Time") == format_seconds(14.0)  # 5 s + 9 s today
        assert number(text, "Streak") == "3 days"
        assert number(text, "Per card") == "6.2 s"  # (4+6+5+9+7) / 5
        assert number(text, "Past year") == "5 reviews"
        assert number(text, "True retention") == true_retention(store, None)
        assert "Cards (6)" in text
        summaries = store.deck_summaries(now=NOW, rollover_hour=4)
        assert number(text, "New") == str(sum(s.new for s in summaries)) == "3"
        assert number(text, "Review") == str(sum(s.review for s in summaries))
        # The plots and the heatmap are there, with the right data.
        for key in ("forecast", "retention", "stability"):
            assert screen.query(f"#plot-{key}"), key
        assert "today" in text  # the forecast's first x label, drawn by plotext
        heatmap = dict(screen.query_one(Heatmap).days)
        today = NOW.date()
        assert heatmap[today] == 2
        assert heatmap[today - timedelta(days=1)] == 2
        assert heatmap[today - timedelta(days=2)] == 1
        assert sum(heatmap.values()) == 5
        reviewed = [store.get_card(card_id) for card_id in small["cards"]]
        horizon = NOW + timedelta(days=30)
        due_soon = sum(
            1 for card in reviewed if card and card.state != CardState.NEW and card.due < horizon
        )
        assert screen.stats is not None
        assert sum(day.count for day in screen.stats.forecast) == due_soon


async def test_one_deck_and_switching_decks(small: dict[str, Any], store: CardStore) -> None:
    app = PonderApp()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_stats(app, pilot, small["physics"])
        text = screen_text(app)
        assert "Physics" in text
        assert number(text, "Reviews") == "2"
        assert number(text, "Per card") == "6.0 s"  # (4+6+5+9) / 4
        assert number(text, "Past year") == "4 reviews"
        assert "Cards (4)" in text
        assert number(text, "True retention") == true_retention(store, [small["physics"]])
        # Switch to History (its subdeck Rome holds the cards) with the Select.
        history = store.deck_by_name("History")
        assert history is not None
        first = screen.stats
        screen.query_one("#stats-deck", Select).value = history.id
        await wait_until(pilot, lambda: screen.loaded and screen.stats is not first, timeout=15)
        await pilot.pause()
        text = screen_text(app)
        assert number(text, "Reviews") == "0"
        assert number(text, "Streak") == "1 day"  # yesterday; an empty today does not break it
        assert number(text, "Per card") == "7.0 s"
        assert "Cards (2)" in text
        # And back to all decks.
        second = screen.stats
        screen.query_one("#stats-deck", Select).value = 0
        await wait_until(pilot, lambda: screen.loaded and screen.stats is not second, timeout=15)
        await pilot.pause()
        assert "Cards (6)" in screen_text(app)


async def test_empty_collection_shows_friendly_figures() -> None:
    app = PonderApp()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_stats(app, pilot)
        text = screen_text(app)
        assert "Nothing due in the next 30 days." in text
        assert number(text, "Streak") == "0 days"
        assert number(text, "Per card") == "–"


async def test_deck_names_are_not_markup(store: CardStore) -> None:
    name = "[bold]Tricky[/] [@click=app.quit]x[/]"
    card = store.create_note("basic", "Q", "A", deck=name, now=NOW).cards[0]
    review(store, card.id, 3, NOW - timedelta(hours=1), 3000)
    deck = store.deck_by_name(name)
    assert deck is not None
    app = PonderApp()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_stats(app, pilot, deck.id)
        text = screen_text(app)
        assert "[bold]Tricky[/]" in text
        assert app.is_running


# -- preset: retention, workload -----------------------------------------------------------


async def open_preset(app: PonderApp, pilot: Any, stats: StatsScreen) -> PresetScreen:
    await pilot.press("p")
    await wait_until(pilot, lambda: isinstance(app.screen, PresetScreen))
    preset = app.screen
    assert isinstance(preset, PresetScreen)
    await wait_until(pilot, lambda: preset.workload is not None, timeout=15)
    return preset


async def test_retention_warning_workload_and_saving(
    small: dict[str, Any], store: CardStore
) -> None:
    app = PonderApp()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        stats = await open_stats(app, pilot, small["physics"])
        preset = await open_preset(app, pilot, stats)
        assert preset.workload is not None
        at_090 = preset.workload.reviews_per_day
        text = screen_text(app)
        assert "reviews/day" in text and "min/day" in text
        assert "Used by: History, History::Rome, Physics" in text
        field = preset.query_one("#preset-retention", Input)
        assert field.value == "0.90"
        note = preset.query_one("#preset-retention-note")
        assert note.render().plain == ""
        # Above 0.95: a warning, and the estimate follows the new value.
        field.value = "0.97"
        await wait_until(pilot, lambda: "0.95" in note.render().plain)
        await wait_until(
            pilot, lambda: preset.workload and preset.workload.desired_retention == 0.97, 15
        )
        assert preset.workload.reviews_per_day > at_090
        assert "workload" in note.render().plain
        # Below 0.80: a warning too.
        field.value = "0.75"
        await wait_until(pilot, lambda: "0.80" in note.render().plain)
        # Outside 0.70-0.99: refused, named, nothing saved.
        field.value = "1.5"
        await wait_until(pilot, lambda: "0.70 to 0.99" in note.render().plain)
        field.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert store.preset_for_deck(small["physics"]).desired_retention is None
        # A valid value is saved with Enter: the Default preset's retention is the
        # desired_retention setting, so Settings and Stats show one value.
        field.value = "0.85"
        await pilot.press("enter")
        await wait_until(pilot, lambda: config_store.load().desired_retention == 0.85)
        assert app.config.desired_retention == 0.85
        assert store.preset_for_deck(small["physics"]).desired_retention is None
        await pilot.press("escape")  # focus is in the input: Esc still closes the dialog
        await wait_until(pilot, lambda: app.screen is stats)
        text = screen_text(app)
        assert "Retention      0.85" in text and "(settings)" in text


# -- preset: optimise ------------------------------------------------------------------------


async def test_optimise_refuses_politely_with_too_few_reviews(
    small: dict[str, Any], store: CardStore
) -> None:
    app = PonderApp()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        stats = await open_stats(app, pilot, small["physics"])
        preset = await open_preset(app, pilot, stats)
        await pilot.press("o")
        await wait_until(pilot, lambda: preset.refusal, timeout=30)
        await pilot.pause()
        message = preset.refusal
        assert message is not None
        have = int(message.split("has ")[1].split(".")[0])
        from decks.optimize import MIN_REVIEWS

        assert 0 <= have < MIN_REVIEWS
        assert f"Review {MIN_REVIEWS - have} more" in message
        shown = preset.query_one("#preset-result").render().plain
        assert f"Review {MIN_REVIEWS - have} more" in shown
        assert "try again" in screen_text(app)
        assert store.preset_for_deck(small["physics"]).parameters is None


def build_history(store: CardStore, cards: int = 150, days: int = 300) -> int:
    """A learner whose memory differs from the defaults, replayed into deck "Sim"."""
    from decks.optimize import default_parameters, simulate_learner

    true = default_parameters()
    true[0], true[1], true[2], true[3], true[20] = 0.8, 3.0, 6.0, 14.0, 0.3
    start = NOW - timedelta(days=days)
    log = simulate_learner(true, cards=cards, days=days - 1, start=start, seed=11)
    ids = {
        index + 1: store.create_note("basic", f"S{index}", "a", deck="Sim", now=start).cards[0].id
        for index in range(cards)
    }
    for record in sorted(log.records, key=lambda r: r.reviewed_at):
        review(store, ids[record.card_id], record.rating, record.reviewed_at, 4000)
    deck = store.deck_by_name("Sim")
    assert deck is not None
    return deck.id


async def test_optimise_fits_stores_reschedules_and_resets(store: CardStore) -> None:
    deck_id = build_history(store)
    app = PonderApp()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        stats = await open_stats(app, pilot, deck_id)
        preset = await open_preset(app, pilot, stats)
        await pilot.press("o")
        await wait_until(pilot, lambda: preset.optimization or preset.refusal, timeout=60)
        assert preset.refusal is None
        outcome = preset.optimization
        assert outcome is not None and outcome.result is not None and outcome.saved
        result = outcome.result
        assert result.after.log_loss < result.before.log_loss
        # Offered: reschedule with the new parameters.
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await wait_until(pilot, lambda: "Reschedule" in screen_text(app))
        await pilot.press("y")
        await wait_until(pilot, lambda: preset.reschedule_report is not None, timeout=60)
        assert preset.reschedule_report.rescheduled > 0
        await pilot.pause()
        text = screen_text(app)
        assert "log loss" in text and "RMSE" in text
        assert f"{result.before.log_loss:.4f}" in text and f"{result.after.log_loss:.4f}" in text
        assert f"optimised on {NOW.date().isoformat()}" in text
        stored = store.preset_for_deck(deck_id)
        assert stored.parameters is not None
        assert list(stored.parameters) == pytest.approx(result.parameters)
        assert stored.optimized_at is not None and stored.optimized_at.date() == NOW.date()
        # Reset to the defaults (confirmed), then decline rescheduling.
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: store.preset_for_deck(deck_id).parameters is None)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is preset)
        assert "FSRS-6 defaults" in screen_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is stats)
        await wait_until(pilot, lambda: "FSRS-6 defaults" in screen_text(app))


async def test_escape_cancels_a_running_optimisation(
    small: dict[str, Any], store: CardStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import decks.optimize

    started = threading.Event()
    calls: list[int] = []

    def slow(store_: Any, preset_id: int, *, progress: Any = None, **kwargs: Any) -> Any:
        for step in range(1000):
            calls.append(step)
            progress("Fitting parameters", step, 1000)
            started.set()
            time.sleep(0.01)
        raise AssertionError("not cancelled")

    monkeypatch.setattr(decks.optimize, "optimize_preset", slow)
    app = PonderApp()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        stats = await open_stats(app, pilot, small["physics"])
        preset = await open_preset(app, pilot, stats)
        await pilot.press("o")
        await wait_until(pilot, started.is_set)
        await wait_until(pilot, lambda: "Fitting parameters" in screen_text(app))
        assert preset.running
        await pilot.press("escape")
        await wait_until(pilot, lambda: not preset.running, timeout=10)
        await pilot.pause()
        assert app.screen is preset  # the first Esc cancels, the dialog stays
        assert "Cancelled" in screen_text(app)
        assert len(calls) < 1000
        assert store.preset_for_deck(small["physics"]).parameters is None
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is stats)
