"""Flashcard speed with 100,000 cards in 50 decks and 3 years of review history.

Builds a synthetic collection on a throwaway PONDER_HOME (or --home DIR, reused when it
already holds the collection): 100,000 cards (basic, reversed and cloze notes) created in
bulk, then three years of reviews simulated with py-fsrs (recall drawn from each card's
retrievability, answers on or after the due day), stored as review_log rows with their
prior state and the cards' final FSRS state. Then times, median of --runs:

- creating the 100,000 cards in bulk               target <= 10 s
- building today's queue (all decks, one deck)      target <= 50 ms
- rating one card, including the commit             target <= 5 ms
- the browse query filtered to one deck             target <= 300 ms

Last, the database is VACUUMed and its size divided by the number of reviews is printed
as `bytes per review: N` (what a backup or a sync pays per answer; target <= 150).

    python benchmarks/bench_decks.py [--runs 7] [--home DIR] [--cards 100000]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CARDS = 100_000
DECKS = 50
YEARS = 3
TARGETS_MS = {"bulk": 10_000, "queue": 50, "rate": 5, "browse": 300}

_WORDS = [
    "memory",
    "spacing",
    "retrieval",
    "practice",
    "forgetting",
    "curve",
    "review",
    "interval",
    "learning",
    "sleep",
    "consolidation",
    "attention",
    "neuron",
    "synapse",
    "protein",
    "cell",
    "energy",
    "entropy",
    "photon",
    "gravity",
    "market",
    "price",
    "demand",
    "supply",
    "language",
    "grammar",
    "verb",
    "noun",
    "history",
    "empire",
    "treaty",
    "war",
]


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words))


def _drafts(rng: random.Random, start: datetime, now: datetime) -> list:
    """Notes adding up to exactly CARDS cards: 80% basic, 10% reversed, 10% two-cloze."""
    from decks.models import NoteKind
    from decks.repository import NoteDraft

    decks = [f"Subject {i // 10}::Topic {i % 10}" for i in range(DECKS)]
    span = (now - start).total_seconds()
    drafts = []
    cards = 0
    while cards < CARDS:
        roll = rng.random()
        created = start + timedelta(seconds=span * (cards / CARDS) + rng.uniform(0, 600))
        deck = rng.choice(decks)
        tags = (rng.choice(_WORDS),)
        if roll < 0.8 or CARDS - cards < 2:
            kind, front, back, count = NoteKind.BASIC, _text(rng, 8) + "?", _text(rng, 5), 1
        elif roll < 0.9:
            kind, front, back, count = NoteKind.REVERSED, _text(rng, 4), _text(rng, 4), 2
        else:
            front = f"{_text(rng, 4)} {{{{c1::{_text(rng, 2)}}}}} {_text(rng, 3)} {{{{c2::x}}}}"
            kind, back, count = NoteKind.CLOZE, "", 2
        drafts.append(NoteDraft(kind, front, back, deck=deck, tags=tags, created_at=created))
        cards += count
    return drafts


def _simulate_history(conn: sqlite3.Connection, rng: random.Random, now: datetime) -> int:
    """Review every card from its creation until today; returns the number of reviews."""
    from fsrs import Rating

    from core.clock import study_day_start
    from core.config import Config
    from decks.models import CardState, from_db_time, to_db_time
    from decks.scheduling import review, settings_for
    from decks.store.rows import _card_from_row, log_values

    scheduler = settings_for(None, Config()).scheduler()
    # The learner studied up to yesterday: today's cards are still to do.
    until = study_day_start(now, 4)
    new_cutoff = now - timedelta(days=60)  # cards made in the last 2 months stay partly new
    logs: list[tuple] = []
    updates: list[tuple] = []
    total = 0
    rows = conn.execute("SELECT * FROM cards ORDER BY id").fetchall()
    for row in rows:
        card = _card_from_row(row)
        created = from_db_time(row["created_at"])
        assert created is not None
        if created > new_cutoff and rng.random() < 0.7:
            continue
        moment = created + timedelta(minutes=rng.uniform(0, 600))
        while moment < until:
            if card.state == CardState.NEW:
                rating = rng.choices(list(Rating), (0.2, 0.1, 0.6, 0.1))[0]
            else:
                from decks.scheduling import retrievability

                recall = retrievability(scheduler, card, moment) or 0.0
                rating = (
                    rng.choices((Rating.Hard, Rating.Good, Rating.Easy), (0.15, 0.75, 0.1))[0]
                    if rng.random() < recall
                    else Rating.Again
                )
            outcome = review(scheduler, card, rating, moment)
            logs.append(log_values(card, int(rating), moment, rng.randint(2000, 15000)))
            card = outcome.after
            late = (
                timedelta(hours=rng.uniform(0, 30))
                if card.state == CardState.REVIEW
                else timedelta(minutes=rng.uniform(0, 5))
            )
            moment = card.due + late
        if card.reps:
            updates.append(
                (
                    int(card.state),
                    card.step,
                    card.stability,
                    card.difficulty,
                    to_db_time(card.due),
                    None if card.last_review is None else to_db_time(card.last_review),
                    card.reps,
                    card.lapses,
                    card.id,
                )
            )
        if len(logs) > 200_000:
            total += _flush(conn, logs, updates)
    total += _flush(conn, logs, updates)
    return total


def _flush(conn: sqlite3.Connection, logs: list[tuple], updates: list[tuple]) -> int:
    from core.db import transaction
    from decks.store.rows import LOG_INSERT

    count = len(logs)
    with transaction(conn):
        conn.executemany(LOG_INSERT, logs)
        conn.executemany(
            "UPDATE cards SET state = ?, step = ?, stability = ?, difficulty = ?, due = ?,"
            " last_review = ?, reps = ?, lapses = ? WHERE id = ?",
            updates,
        )
    logs.clear()
    updates.clear()
    return count


def _median_ms(func: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _line(name: str, value_ms: float, target_ms: float | None) -> None:
    verdict = "" if target_ms is None else ("ok" if value_ms <= target_ms else "SLOW")
    target = "" if target_ms is None else f"(target <= {target_ms:g} ms)"
    print(f"  {name:<46} {value_ms:9.2f} ms  {target:<22} {verdict}")


def main() -> int:
    global CARDS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--home", help="data folder to build in / reuse (default: a temp dir)")
    parser.add_argument("--cards", type=int, default=CARDS, help="cards to build (default 100,000)")
    args = parser.parse_args()
    CARDS = max(10, args.cards)
    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="ponder-bench-"))
    home.mkdir(parents=True, exist_ok=True)
    os.environ["PONDER_HOME"] = str(home)
    os.environ.pop("PONDER_FAKE_NOW", None)

    from core import clock
    from core.config import Config
    from core.db import connect
    from decks.repository import CardFilter, CardStore
    from decks.review import ReviewSession

    config = Config()
    rng = random.Random(2026)
    now = clock.now()
    start = now - timedelta(days=365 * YEARS)
    conn = connect()
    store = CardStore(conn)
    have = conn.execute("SELECT COUNT(*) FROM cards").fetchone()[0]
    print(f"Ponder decks benchmark: {CARDS:,} cards, {DECKS} decks, {YEARS} years of reviews")
    print(f"  data folder: {home}")
    if have == 0:
        drafts = _drafts(rng, start, now)
        started = time.perf_counter()
        store.create_notes_bulk(drafts, now=now)
        bulk_ms = (time.perf_counter() - started) * 1000
        _line(
            f"create {CARDS:,} cards in bulk ({len(drafts):,} notes)", bulk_ms, TARGETS_MS["bulk"]
        )
        started = time.perf_counter()
        reviews = _simulate_history(conn, rng, now)
        print(f"  (simulated {reviews:,} reviews in {time.perf_counter() - started:.1f} s)")
        conn.execute("ANALYZE")
    else:
        print(f"  reusing {have:,} cards (bulk creation not re-timed)")
    counts = conn.execute(
        "SELECT (SELECT COUNT(*) FROM cards), (SELECT COUNT(*) FROM review_log),"
        " (SELECT COUNT(*) FROM decks), (SELECT COUNT(*) FROM cards WHERE state = 0)"
    ).fetchone()
    print(
        f"  collection: {counts[0]:,} cards, {counts[1]:,} reviews, {counts[2]} decks, "
        f"{counts[3]:,} new"
    )

    from decks.queue import DailyQueue

    queue = DailyQueue(store, config=config)
    print(f"  today (all decks): {queue.counts().to_dict()}")
    _line(
        "build today's queue, all decks",
        _median_ms(lambda: DailyQueue(store, config=config), args.runs),
        TARGETS_MS["queue"],
    )
    biggest = conn.execute(
        "SELECT deck_id, COUNT(*) FROM cards GROUP BY deck_id ORDER BY 2 DESC LIMIT 1"
    ).fetchone()
    deck_id, deck_cards = biggest[0], biggest[1]
    parent = store.deck(deck_id)
    parent_id = parent.parent_id if parent and parent.parent_id else deck_id
    _line(
        "build today's queue, one deck",
        _median_ms(lambda: DailyQueue(store, deck_id, config=config), args.runs),
        TARGETS_MS["queue"],
    )
    _line(
        "build today's queue, parent deck (10 subdecks)",
        _median_ms(lambda: DailyQueue(store, parent_id, config=config), args.runs),
        TARGETS_MS["queue"],
    )
    _line(
        "ReviewSession start (queue + first card)",
        _median_ms(lambda: ReviewSession(store, config=config).next_card(), args.runs),
        None,
    )

    # Rating: show a card (preview of 4 ratings), then time answer() = one transaction.
    session = ReviewSession(store, config=config)
    show_times, rate_times, undo_times = [], [], []
    for i in range(200):
        started = time.perf_counter()
        view = session.next_card()
        show_times.append((time.perf_counter() - started) * 1000)
        if view is None:
            break
        started = time.perf_counter()
        session.answer(rng.choice((1, 3, 3, 3, 4)))
        rate_times.append((time.perf_counter() - started) * 1000)
        if i % 10 == 0:
            started = time.perf_counter()
            session.undo()
            undo_times.append((time.perf_counter() - started) * 1000)
            session.answer(3)
    _line(
        f"show next card (load + 4-rating preview, n={len(show_times)})",
        statistics.median(show_times),
        None,
    )
    _line(
        f"rate one card incl. commit (n={len(rate_times)})",
        statistics.median(rate_times),
        TARGETS_MS["rate"],
    )
    _line(
        "  ... 95th percentile", sorted(rate_times)[int(len(rate_times) * 0.95)], TARGETS_MS["rate"]
    )
    _line(f"undo one review (n={len(undo_times)})", statistics.median(undo_times), None)

    results: list[int] = []
    _line(
        f"browse query, one deck ({deck_cards:,} cards)",
        _median_ms(
            lambda: results.append(len(store.search(CardFilter(deck_id=deck_id)))), args.runs
        ),
        TARGETS_MS["browse"],
    )
    _line(
        "browse query, one deck, first 200 by due",
        _median_ms(
            lambda: store.search(CardFilter(deck_id=deck_id, order="due", limit=200)), args.runs
        ),
        None,
    )
    _line(
        "browse text search, all cards",
        _median_ms(lambda: store.search(CardFilter(text="entropy photon")), args.runs),
        None,
    )
    _line(
        "browse tag filter, all cards",
        _median_ms(lambda: store.search(CardFilter(tag="memory")), args.runs),
        None,
    )
    _line(
        "browse is:due, all cards (count)",
        _median_ms(lambda: store.count(CardFilter(state="due"), rollover_hour=4), args.runs),
        None,
    )
    _line(
        "deck list with counts (deck_summaries)",
        _median_ms(lambda: store.deck_summaries(rollover_hour=4), args.runs),
        None,
    )
    _line("due counts per deck (ponder due)", _median_ms(store.due_counts, args.runs), None)
    _line(
        "card details (memory state + history)",
        _median_ms(
            lambda: __import__("decks.browse").browse.card_details(
                store, deck_cards, config=config
            ),
            args.runs,
        ),
        None,
    )
    size = (home / "ponder.db").stat().st_size / 1e6
    print(f"  database size: {size:.0f} MB")
    reviews = conn.execute("SELECT COUNT(*) FROM review_log").fetchone()[0]
    conn.execute("VACUUM")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    vacuumed = (home / "ponder.db").stat().st_size
    print(f"  database size after VACUUM: {vacuumed / 1e6:.1f} MB")
    print(f"bytes per review: {vacuumed // max(1, reviews)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
