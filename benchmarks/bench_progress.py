"""Benchmarks for stats, the optimiser and the .apkg export.

    python benchmarks/bench_progress.py [--cards 100000] [--reviews 1000000] [--keep DIR]

Builds a throwaway PONDER_HOME with a synthetic collection (bulk SQL inserts, the schema of
migration 0003), then times:
- `compute_stats` on all decks and on one deck (target: <= 1 s each);
- optimising on 100,000 review logs from a simulated learner (target: <= 30 s);
- exporting every card to .apkg (target: <= 20 s).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+00:00"
DECKS = ("Talks", "Talks::Physics", "Talks::History", "Podcasts", "Podcasts::Science::Space")


def _t(moment: datetime) -> str:
    return moment.strftime(TIME_FORMAT)


def build_collection(conn, *, cards: int, reviews: int, now: datetime, seed: int = 1) -> None:
    """Fill an empty, migrated database with `cards` cards and `reviews` review logs."""
    from decks.models import to_epoch_us
    from decks.store.rows import LOG_INSERT

    rng = random.Random(seed)
    created = _t(now - timedelta(days=400))
    conn.execute("BEGIN")
    for index, name in enumerate(DECKS, start=1):
        parent = None
        if "::" in name:
            parent_name = name.rsplit("::", 1)[0]
            row = conn.execute("SELECT id FROM decks WHERE name = ?", (parent_name,)).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO decks (name, parent_id, created_at) VALUES (?, NULL, ?)",
                    (parent_name, created),
                )
                row = conn.execute("SELECT id FROM decks WHERE name = ?", (parent_name,)).fetchone()
            parent = row[0]
        conn.execute(
            "INSERT OR IGNORE INTO decks (name, parent_id, created_at) VALUES (?, ?, ?)",
            (name, parent, created),
        )
        del index
    deck_ids = [row[0] for row in conn.execute("SELECT id FROM decks")]
    kinds = ("basic", "basic", "reversed", "cloze")
    note_rows = []
    card_rows = []
    card_id = 0
    note_id = 0
    while card_id < cards:
        note_id += 1
        kind = rng.choice(kinds)
        if kind == "cloze":
            front, back = f"Fact {note_id}: the {{{{c1::answer {note_id}}}}} is here.", ""
        else:
            front, back = f"Question number {note_id}?", f"Answer number {note_id}."
        note_rows.append((note_id, f"g{note_id:08d}", kind, front, back, created, created))
        deck_id = rng.choice(deck_ids)
        for ord_ in range(2 if kind == "reversed" else 1):
            if card_id >= cards:
                break
            card_id += 1
            state = rng.choices((0, 1, 2, 3), (0.2, 0.05, 0.7, 0.05))[0]
            if state == 0:
                due, stability, difficulty, last = created, None, None, None
            else:
                stability = rng.lognormvariate(2.5, 1.5)
                difficulty = rng.uniform(1, 10)
                last_moment = now - timedelta(days=rng.uniform(0, 60))
                due_moment = last_moment + timedelta(days=min(stability, 400))
                due, last = _t(due_moment), _t(last_moment)
            suspended = 1 if rng.random() < 0.02 else 0
            card_rows.append(
                (
                    card_id,
                    note_id,
                    ord_,
                    deck_id,
                    state,
                    stability,
                    difficulty,
                    due,
                    last,
                    suspended,
                    created,
                    created,
                )
            )
    conn.executemany(
        "INSERT INTO notes (id, guid, kind, front, back, created_at, modified_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        note_rows,
    )
    conn.executemany(
        "INSERT INTO note_tags (note_id, tag) VALUES (?, ?)",
        ((row[0], f"topic{row[0] % 20}") for row in note_rows),
    )
    conn.executemany(
        "INSERT INTO cards (id, note_id, ord, deck_id, state, stability, difficulty, due,"
        " last_review, suspended, created_at, modified_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        card_rows,
    )
    start = now - timedelta(days=365)
    span = (now - start).total_seconds()

    def review_rows():
        for _ in range(reviews):
            moment = start + timedelta(seconds=rng.random() * span)
            prior = rng.choices((0, 1, 2, 3), (0.1, 0.1, 0.75, 0.05))[0]
            rating = rng.choices((1, 2, 3, 4), (0.12, 0.1, 0.68, 0.1))[0]
            # LOG_INSERT's columns: due now, last reviewed 10 days ago, 4 reps.
            yield (
                rng.randint(1, cards),
                to_epoch_us(moment),
                rating,
                prior,
                rng.randint(2000, 20000),
                None,
                12.5,
                5.1,
                0,
                10 * 86_400_000_000,
                4,
                0,
                None,
                None,
            )

    conn.executemany(LOG_INSERT, review_rows())
    conn.execute("COMMIT")


def _timed(label: str, func, target: float | None = None, repeat: int = 1):
    best = float("inf")
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - started)
    verdict = "" if target is None else ("  OK" if best <= target else f"  OVER {target:g} s")
    print(f"{label:<52} {best:8.3f} s{verdict}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--optimize-reviews", type=int, default=100_000)
    parser.add_argument("--keep", help="build the collection in this folder and keep it")
    args = parser.parse_args(argv)

    home = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="ponder-bench-"))
    home.mkdir(parents=True, exist_ok=True)
    os.environ["PONDER_HOME"] = str(home)
    now = datetime.now(UTC)

    from core.db import connect

    conn = connect()
    if conn.execute("SELECT COUNT(*) FROM cards").fetchone()[0] == 0:
        _timed(
            f"build {args.cards:,} cards, {args.reviews:,} reviews",
            lambda: build_collection(conn, cards=args.cards, reviews=args.reviews, now=now),
        )
    size = (home / "ponder.db").stat().st_size / 1e6
    print(f"database: {home / 'ponder.db'} ({size:.0f} MB)")

    from decks.stats import compute_stats, ensure_stats_index

    _timed("stats index, built once (if the schema lacks it)", lambda: ensure_stats_index(conn))
    stats = _timed(
        "stats, all decks (first call)", lambda: compute_stats(conn, now=now, rollover_hour=4), 1.0
    )
    _timed(
        "stats, all decks (warm, best of 3)",
        lambda: compute_stats(conn, now=now, rollover_hour=4),
        1.0,
        3,
    )
    _timed(
        "stats, deck Talks (half the cards; best of 3)",
        lambda: compute_stats(conn, "Talks", now=now, rollover_hour=4),
        1.0,
        3,
    )
    print(
        f"  -> {stats.cards.total:,} cards, {stats.reviews_past_year:,} reviews in a year, "
        f"streak {stats.streak}, today {stats.reviews_today}"
    )

    from decks.optimize import default_parameters, optimize_records, simulate_learner

    true = default_parameters()
    true[0], true[1], true[2], true[3], true[20] = 2.0, 6.0, 12.0, 30.0, 0.5
    log = _timed(
        f"simulate a learner ({args.optimize_reviews:,} reviews)",
        lambda: simulate_learner(
            true, cards=args.optimize_reviews // 6, days=720, max_reviews=args.optimize_reviews
        ),
    )
    result = _timed(
        f"optimise on {len(log.records):,} review logs", lambda: optimize_records(log.records), 30
    )
    print(
        f"  -> log loss {result.before.log_loss:.4f} -> {result.after.log_loss:.4f}, "
        f"RMSE {result.before.rmse:.4f} -> {result.after.rmse:.4f}"
    )

    from decks.optimize import optimize_preset
    from decks.repository import CardStore

    store = CardStore(conn)
    space = store.deck_by_name("Podcasts::Science::Space")
    preset = next((p for p in store.presets() if p.name == "Bench"), None)
    preset = preset or store.create_preset("Bench")
    store.set_deck_preset(space.id, preset.id)
    outcome = _timed(
        "optimise a preset read from the database",
        lambda: optimize_preset(store, preset.id, save=False),
        30,
    )
    print(
        f"  -> {outcome.result.reviews:,} review logs read, "
        f"{outcome.result.training_items:,} fitted"
    )

    from decks.anki import export_apkg

    out = home / "bench.apkg"
    report = _timed(
        f"export .apkg ({args.cards:,} cards)",
        lambda: export_apkg(conn, out, force=True),
        20,
    )
    print(f"  -> {report.notes:,} notes, {report.cards:,} cards, {out.stat().st_size / 1e6:.1f} MB")
    conn.close()
    if not args.keep:
        import shutil

        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
