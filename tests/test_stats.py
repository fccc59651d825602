"""Stats figures against a brute-force count of the same rows, and `ponder stats`."""

from __future__ import annotations

import itertools
import json
import os
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fsrs import Rating

from core import clock
from core.config import Config
from decks import scheduling
from decks.models import CardState, from_epoch_us
from decks.repository import CardStore
from decks.stats import (
    STABILITY_EDGES,
    STATS_INDEX_COLUMNS,
    UnknownDeck,
    compute_stats,
    ensure_stats_index,
    study_day_starts,
)
from decks.store.rows import LOG_INSERT, log_values

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
ROLLOVER = 4


@pytest.fixture
def utc_zone(monkeypatch: pytest.MonkeyPatch):
    """Local time = UTC, so study days are easy to reason about in the assertions."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def store(ponder_home: Path, utc_zone) -> CardStore:
    from core.db import connect

    card_store = CardStore(connect())
    yield card_store
    card_store.close()


def _review(store: CardStore, card_id: int, rating: int, when: datetime, ms: int = 4000):
    card = store.get_card(card_id)
    scheduler = scheduling.scheduler_for_deck(store, card.deck_id, Config())
    outcome = scheduling.review(scheduler, card, Rating(rating), when)
    store.record_review(card, outcome.after, rating, when, ms)
    return outcome.after


def _study_day(moment: datetime) -> date:
    """Brute force: the study day of a UTC moment when local time is UTC, rollover 4 am."""
    return (moment - timedelta(hours=ROLLOVER)).date()


def test_empty_collection_has_zero_figures(store: CardStore) -> None:
    stats = compute_stats(store.conn, now=NOW, rollover_hour=ROLLOVER)
    assert stats.cards.total == 0 and stats.streak == 0 and stats.reviews_today == 0
    assert len(stats.forecast) == 30 and all(day.count == 0 for day in stats.forecast)
    assert len(stats.heatmap) == 365 and stats.heatmap[-1].day == date(2026, 3, 10)
    assert stats.true_retention is None and stats.average_seconds is None
    assert json.loads(json.dumps(stats.to_dict()))["cards"]["total"] == 0


def test_figures_match_a_brute_force_count(store: CardStore) -> None:
    import random

    rng = random.Random(5)
    ids = []
    for index in range(40):
        deck = ("Talks::Physics", "Talks", "Other")[index % 3]
        created = store.create_note("basic", f"Q{index}", f"A{index}", deck=deck, now=NOW)
        ids.extend(created.card_ids)
    # Reviews on scattered days over the past 60 days, oldest first per card.
    moments = []
    for card_id in ids[:30]:
        when = NOW - timedelta(days=rng.randint(20, 60), hours=rng.randint(0, 23))
        for _ in range(rng.randint(1, 5)):
            if when >= NOW:
                break
            rating = rng.choice((1, 3, 3, 3, 4))
            _review(store, card_id, rating, when, ms=rng.randint(1000, 9000))
            moments.append(when)
            when += timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 5))
    # A review today, before and after the 4 am rollover (the first belongs to yesterday).
    _review(store, ids[35], 3, NOW.replace(hour=3))
    _review(store, ids[36], 3, NOW.replace(hour=9))
    store.set_suspended([ids[39]])

    stats = compute_stats(store.conn, now=NOW, rollover_hour=ROLLOVER)
    rows = store.conn.execute(
        "SELECT reviewed_us, rating, prior_state, duration_ms FROM review_log"
    ).fetchall()
    per_day = Counter(_study_day(from_epoch_us(row[0])) for row in rows)
    assert {day.day: day.count for day in stats.heatmap if day.count} == dict(per_day)
    assert stats.reviews_today == per_day[date(2026, 3, 10)] == 1
    assert stats.reviews_past_year == len(rows)
    review_state = [row for row in rows if row[2] == CardState.REVIEW]
    passed = [row for row in review_state if row[1] > 1]
    if review_state:
        assert stats.true_retention == pytest.approx(len(passed) / len(review_state))
    assert sum(week.reviews for week in stats.retention) == len(review_state)
    assert sum(week.passed for week in stats.retention) == len(passed)
    assert stats.average_seconds == pytest.approx(sum(row[3] for row in rows) / len(rows) / 1000)

    cards = store.conn.execute("SELECT state, suspended, due, stability FROM cards").fetchall()
    states = Counter(row[0] for row in cards if not row[1])
    assert stats.cards.new == states[0] and stats.cards.review == states[2]
    assert stats.cards.learning == states[1] and stats.cards.relearning == states[3]
    assert stats.cards.suspended == 1 and stats.cards.total == 40

    today = date(2026, 3, 10)
    due = Counter()
    for state, suspended, due_text, _stability in cards:
        if state == 0 or suspended:
            continue
        day = max(_study_day(datetime.fromisoformat(due_text)), today)
        if (day - today).days < 30:
            due[(day - today).days] += 1
    assert [day.count for day in stats.forecast] == [due[offset] for offset in range(30)]

    stabilities = [row[3] for row in cards if row[0] > 0 and not row[1] and row[3] is not None]
    edges = (0, *STABILITY_EDGES, float("inf"))
    expected = [
        sum(1 for s in stabilities if low <= s < high) for low, high in itertools.pairwise(edges)
    ]
    assert [bucket.count for bucket in stats.stability] == expected
    assert stats.stability[0].label == "< 1d" and stats.stability[-1].label == ">= 2y"


def test_deck_includes_subdecks_and_unknown_deck_is_refused(store: CardStore) -> None:
    physics = store.create_note("basic", "q", "a", deck="Talks::Physics", now=NOW).card_ids[0]
    talks = store.create_note("basic", "q2", "a2", deck="Talks", now=NOW).card_ids[0]
    other = store.create_note("basic", "q3", "a3", deck="Other", now=NOW).card_ids[0]
    for card_id in (physics, talks, other):
        _review(store, card_id, 3, NOW - timedelta(days=2))
    talks_stats = compute_stats(store.conn, "talks", now=NOW, rollover_hour=ROLLOVER)
    assert talks_stats.deck == "Talks"  # the stored name, whatever the case typed
    assert talks_stats.reviews_past_year == 2 and talks_stats.cards.total == 2
    physics_stats = compute_stats(store.conn, "Talks::Physics", now=NOW, rollover_hour=ROLLOVER)
    assert physics_stats.reviews_past_year == 1 and physics_stats.cards.total == 1
    with pytest.raises(UnknownDeck, match="No deck named 'Nope'"):
        compute_stats(store.conn, "Nope", now=NOW, rollover_hour=ROLLOVER)


def test_streak_counts_back_from_today_and_survives_an_unreviewed_today(
    store: CardStore,
) -> None:
    card_ids = [
        store.create_note("basic", f"q{i}", "a", deck="D", now=NOW - timedelta(days=500)).card_ids[
            0
        ]
        for i in range(3)
    ]
    # A review every day from 400 days ago until yesterday (none the day before): the
    # streak runs past the one-year heatmap window. Bulk rows: only the log matters here.
    start = NOW - timedelta(days=400)
    blank = store.get_card(card_ids[0])
    assert blank is not None
    rows = []
    for offset in range(400):
        when = start + timedelta(days=offset)
        card = replace(blank, id=card_ids[offset % 3], state=CardState.REVIEW)
        rows.append(log_values(card, 3, when, 1000))
    store.conn.execute("BEGIN")
    store.conn.executemany(LOG_INSERT, rows)
    store.conn.execute("COMMIT")
    stats = compute_stats(store.conn, now=NOW, rollover_hour=ROLLOVER)
    assert stats.reviews_today == 0
    assert stats.streak == 400  # today not reviewed yet: the streak is still alive
    _review(store, card_ids[0], 3, NOW)
    assert compute_stats(store.conn, now=NOW, rollover_hour=ROLLOVER).streak == 401
    two_days_later = compute_stats(store.conn, now=NOW + timedelta(days=2), rollover_hour=ROLLOVER)
    assert two_days_later.streak == 0


def test_study_days_follow_local_daylight_saving(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        # Clocks go forward at 2 am on 2026-03-29: the study day from 4 am on the 28th to
        # 4 am on the 29th is 23 hours long; the next one 24 again.
        first = clock.study_day_start(datetime(2026, 3, 28, 12, tzinfo=UTC), 4)
        starts = study_day_starts(first, 2)
        assert starts[1] - starts[0] == timedelta(hours=23)
        assert starts[2] - starts[1] == timedelta(hours=24)
        assert all(start.astimezone().hour == 4 for start in starts)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_stats_index_is_created_once_and_used(store: CardStore) -> None:
    ensure_stats_index(store.conn)
    ensure_stats_index(store.conn)
    names = [row[1] for row in store.conn.execute("PRAGMA index_list(review_log)")]
    covering = [
        name
        for name in names
        if (columns := [info[2] for info in store.conn.execute(f"PRAGMA index_info('{name}')")])
        and columns[0] == "reviewed_us"
        and set(STATS_INDEX_COLUMNS) <= set(columns)
    ]
    assert len(covering) == 1  # one index covers the stats columns, however often ensured
    plan = " ".join(
        str(row[3])
        for row in store.conn.execute(
            "EXPLAIN QUERY PLAN SELECT COUNT(*), SUM(rating > 1) FROM review_log"
            " WHERE reviewed_us >= 1767225600000000 AND reviewed_us < 1798761600000000"
        )
    )
    assert f"COVERING INDEX {covering[0]}" in plan


def test_cli_stats_json_and_tables(store: CardStore, capsys: pytest.CaptureFixture) -> None:
    from tui.cli import main

    card_id = store.create_note("basic", "q", "a", deck="Talks::[bold]x", now=NOW).card_ids[0]
    _review(store, card_id, 3, clock.now() - timedelta(hours=1))
    assert main(["stats", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["reviews_today"] + data["heatmap"][-2]["count"] >= 1
    assert data["cards"]["total"] == 1 and len(data["forecast"]) == 30
    assert main(["stats", "--deck", "Talks"]) == 0
    printed = capsys.readouterr().out
    assert "Stats: Talks" in printed and "Cards by state" in printed and "Streak" in printed
    assert main(["stats", "--deck", "Talks::[bold]x"]) == 0
    assert "[bold]x" in capsys.readouterr().out  # deck names are text, not markup
    assert main(["stats", "--deck", "Missing"]) == 1
    assert "No deck named 'Missing'" in capsys.readouterr().err


def test_stats_run_in_a_subprocess_without_textual(ponder_home: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys; from core.db import connect; from decks.stats import compute_stats; "
        "import decks.optimize, decks.anki, decks.anki_text, core.backup, "
        "decks.markdown_export; "
        "compute_stats(connect(), rollover_hour=4); "
        "print('textual' in sys.modules, 'anthropic' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ},
        check=True,
    )
    assert result.stdout.strip() == "False False"


def test_around_the_rollover_a_study_day_is_named_one_way(
    store: CardStore, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 02:00 on Wed 11 Mar the study day is still Tue 10 Mar: it is "today", the next
    one "tomorrow"; the calendar's date of now never names the study day after today."""
    from tui.cli import main
    from tui.screens.stats import summary_text

    monkeypatch.setenv("PONDER_FAKE_NOW", "2026-03-11T02:00:00+00:00")
    card_id = store.create_note("basic", "q", "a", deck="Talks").card_ids[0]
    _review(store, card_id, 3, datetime(2026, 3, 11, 1, 0, tzinfo=UTC))
    assert main(["stats"]) == 0
    printed = capsys.readouterr().out
    forecast = printed[printed.index("Due (today includes overdue)") :]
    rows = [line.split("│")[1].strip() for line in forecast.splitlines() if line.count("│") >= 3]
    assert rows[:3] == ["today", "tomorrow", "Thu 12 Mar"]  # hand-written, not computed
    assert "Wed 11 Mar" not in printed
    assert "(today is the study day of Tue 10 Mar until 04:00)" in printed
    assert "2025-03-11 .. today" in printed  # the heatmap ends on "today", not a date
    stats = compute_stats(store.conn, rollover_hour=ROLLOVER)
    assert stats.today == date(2026, 3, 10)
    assert summary_text(stats).plain.startswith("Today (Tue 10 Mar)")
    monkeypatch.setenv("PONDER_FAKE_NOW", "2026-03-11T05:00:00+00:00")  # past 4 am: plain
    assert summary_text(compute_stats(store.conn, rollover_hour=ROLLOVER)).plain.startswith(
        "Today\n"
    )


def test_cli_heatmap_shades_a_day_like_the_stats_screen() -> None:
    """One shading rule (decks.stats.level_of) for `ponder stats` and the Heatmap widget."""
    from datetime import date, timedelta
    from types import SimpleNamespace

    from decks.stats import DayCount, level_edges, level_of
    from tui.cli.stats import SHADES, _heatmap

    monday = date(2026, 11, 2)
    counts = [0, 1, 2, 3, 4, 5, 6, 7, 8, 40, 100, 0, 3]
    days = [DayCount(monday + timedelta(days=i), n) for i, n in enumerate(counts)]
    lines = _heatmap(SimpleNamespace(heatmap=days)).plain.splitlines()[1:8]
    edges = level_edges(counts)
    for index, count in enumerate(counts):
        level = level_of(count, edges)
        expected = SHADES[level] if level else "·"
        assert lines[index % 7][4 + index // 7] == expected, (count, level)
