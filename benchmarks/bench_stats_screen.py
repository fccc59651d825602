"""Benchmark: the stats screen on 100,000 cards and 1,000,000 review logs.

    python benchmarks/bench_stats_screen.py [--cards 100000] [--reviews 1000000] [--keep DIR]

Builds a throwaway PONDER_HOME (bulk `executemany` inserts into the migrated schema), then
runs the Ponder app headless and times, from pushing the screen:
- first paint (the screen with its loading state on screen): target <= 1 s;
- figures filled (stats computed in the worker, plots mounted and drawn);
for the first opening (cold: imports textual-plotext, may create the stats index), a second
opening (warm), and switching to one deck with the Select. Also the preset screen's
workload estimate.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+00:00"
DECKS = ("Lectures", "Lectures::Biology", "Lectures::Maths", "Podcasts", "Podcasts::History")
FIRST_PAINT_TARGET_S = 1.0


def _t(moment: datetime) -> str:
    return moment.strftime(TIME_FORMAT)


def build(path: Path, *, cards: int, reviews: int, now: datetime, seed: int = 3) -> None:
    """A migrated database with `cards` basic cards and `reviews` logs over the past year."""
    from core.db import connect
    from decks.models import to_epoch_us
    from decks.store.rows import LOG_INSERT

    rng = random.Random(seed)
    conn = connect(path)
    created = _t(now - timedelta(days=400))
    conn.execute("BEGIN")
    ids: dict[str, int] = {}
    for name in DECKS:
        parent = ids.get(name.rsplit("::", 1)[0]) if "::" in name else None
        cursor = conn.execute(
            "INSERT INTO decks (name, parent_id, created_at) VALUES (?, ?, ?)",
            (name, parent, created),
        )
        ids[name] = int(cursor.lastrowid or 0)
    deck_ids = list(ids.values())
    conn.executemany(
        "INSERT INTO notes (id, guid, kind, front, back, created_at, modified_at)"
        " VALUES (?, ?, 'basic', ?, ?, ?, ?)",
        (
            (n, f"bench{n:08d}", f"Question {n}?", f"Answer {n}.", created, created)
            for n in range(1, cards + 1)
        ),
    )

    def card_rows() -> Any:
        for n in range(1, cards + 1):
            state = rng.choices((0, 1, 2, 3), (0.2, 0.04, 0.72, 0.04))[0]
            if state == 0:
                yield (n, n, rng.choice(deck_ids), 0, None, None, created, None, 0, created)
                continue
            stability = rng.lognormvariate(2.3, 1.4)
            last = now - timedelta(days=rng.uniform(0, 60))
            due = last + timedelta(days=min(stability, 300))
            suspended = 1 if rng.random() < 0.02 else 0
            yield (
                n,
                n,
                rng.choice(deck_ids),
                state,
                stability,
                rng.uniform(1, 10),
                _t(due),
                _t(last),
                suspended,
                created,
            )

    conn.executemany(
        "INSERT INTO cards (id, note_id, ord, deck_id, state, stability, difficulty, due,"
        " last_review, suspended, created_at, modified_at) VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?, ?,"
        " ?, ?)",
        ((*row, created) for row in card_rows()),
    )
    span = 365 * 86400

    def review_rows() -> Any:
        for _ in range(reviews):
            moment = now - timedelta(seconds=rng.random() * span)
            prior = rng.choices((0, 1, 2, 3), (0.1, 0.1, 0.75, 0.05))[0]
            # LOG_INSERT's columns: due now, last reviewed 9 days ago, 5 reps.
            yield (
                rng.randint(1, cards),
                to_epoch_us(moment),
                rng.choices((1, 2, 3, 4), (0.12, 0.1, 0.68, 0.1))[0],
                prior,
                rng.randint(2000, 20000),
                None,
                11.0,
                5.0,
                0,
                9 * 86_400_000_000,
                5,
                0,
                None,
                None,
            )

    conn.executemany(LOG_INSERT, review_rows())
    conn.execute("COMMIT")
    conn.close()


async def measure(size: tuple[int, int]) -> list[tuple[str, float, float | None]]:
    """(label, seconds, target) rows."""
    from tests.tui_helpers import wait_until
    from tui.app import PonderApp
    from tui.screens.optimize import PresetScreen
    from tui.screens.stats import StatsScreen

    class TimedStats(StatsScreen):
        pushed = 0.0
        painted_at = 0.0
        filled_at = 0.0

        def _first_paint(self) -> None:
            super()._first_paint()
            self.painted_at = time.perf_counter()

        def _show_stats(self, stats: Any, generation: int) -> None:
            super()._show_stats(stats, generation)
            self.call_after_refresh(self._filled)

        def _filled(self) -> None:
            self.filled_at = time.perf_counter()

    rows: list[tuple[str, float, float | None]] = []
    app = PonderApp()
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.5)  # the library screen is up, as when the user presses S
        for label in ("cold (first open)", "warm (second open)"):
            screen = TimedStats()
            screen.pushed = time.perf_counter()
            app.push_screen(screen)
            await wait_until(pilot, lambda s=screen: s.filled_at, timeout=120, interval=0.005)
            rows.append(
                (f"stats screen {label}: first paint", screen.painted_at - screen.pushed, 1.0)
            )
            rows.append(
                (f"stats screen {label}: figures filled", screen.filled_at - screen.pushed, None)
            )
            assert screen.stats is not None
            rows.append(("  of which compute_stats (worker)", screen.stats.query_ms / 1000, None))
            if label.startswith("cold"):
                screen.dismiss(None)
                await pilot.pause()
        # Switch to one deck with the Select.
        deck = next(d for d in screen._decks if d.name == "Lectures")
        screen.filled_at = 0.0
        started = time.perf_counter()
        from textual.widgets import Select

        screen.query_one("#stats-deck", Select).value = deck.id
        await wait_until(pilot, lambda: screen.filled_at, timeout=120, interval=0.005)
        rows.append(
            ("switch to deck Lectures (+ subdecks): filled", screen.filled_at - started, None)
        )
        started = time.perf_counter()
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, PresetScreen), interval=0.005)
        preset = app.screen
        await wait_until(pilot, lambda: preset.workload is not None, timeout=60, interval=0.005)
        rows.append(("preset screen: workload estimate shown", time.perf_counter() - started, None))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--width", type=int, default=120)
    parser.add_argument("--height", type=int, default=40)
    parser.add_argument("--keep", help="build the collection in this folder and keep it")
    args = parser.parse_args(argv)
    home = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="ponder-bench-"))
    home.mkdir(parents=True, exist_ok=True)
    os.environ["PONDER_HOME"] = str(home)
    os.environ.pop("PONDER_FAKE_NOW", None)
    from core.paths import database_path

    db = database_path()
    if not db.exists() or not args.keep:
        started = time.perf_counter()
        build(db, cards=args.cards, reviews=args.reviews, now=datetime.now(UTC))
        print(
            f"built {args.cards:,} cards and {args.reviews:,} review logs in "
            f"{time.perf_counter() - started:.1f} s ({db.stat().st_size / 1e6:.0f} MB)"
        )
    rows = asyncio.run(measure((args.width, args.height)))
    failed = False
    for label, seconds, target in rows:
        verdict = ""
        if target is not None:
            verdict = "  OK" if seconds <= target else f"  OVER {target:g} s"
            failed = failed or seconds > target
        print(f"{label:<52} {seconds * 1000:8.0f} ms{verdict}")
    if not args.keep:
        shutil.rmtree(home, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
