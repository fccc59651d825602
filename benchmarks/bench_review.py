"""Review screen speed with 100,000 cards in 50 decks.

Builds a throwaway collection (100,000 basic cards; 80% in review state with due dates
spread over four months around today, the rest new), opens the real app headless with
the review screen, and times the key handlers as the learner presses them:

- opening the review screen (queue for all decks, first card drawn)   target <= 300 ms
- space: revealing the answer                                         target <= 5 ms
- 3: rating (the commit, the next card loaded, previewed and drawn)   target <= 10 ms
- the deck picker's per-deck counts (52 rows)                         target <= 200 ms

Handler times are the Python work inside the app's event loop (what delays the next
key); the terminal repaint follows asynchronously.

    python benchmarks/bench_review.py [--answers 300]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CARDS = 100_000
DECKS = 50
TARGETS_MS = {"open": 300, "reveal": 5, "rate": 10, "picker": 200}


def build(home: Path) -> None:
    """The collection: bulk-created cards, then scheduling states set in one UPDATE pass."""
    os.environ["PONDER_HOME"] = str(home)
    from core import clock
    from core.library import Library
    from decks.models import NoteKind, to_db_time
    from decks.repository import CardStore, NoteDraft

    library = Library()
    store = CardStore(library.conn)
    rng = random.Random(7)
    drafts = [
        NoteDraft(
            NoteKind.BASIC,
            f"Question {i}: what does term {rng.randrange(10_000)} mean?",
            f"Answer {i}",
            deck=f"Talks::Topic {i % DECKS:02d}",
        )
        for i in range(CARDS)
    ]
    started = time.perf_counter()
    store.create_notes_bulk(drafts)
    print(f"created {CARDS:,} cards in {time.perf_counter() - started:.1f} s")
    now = clock.now()
    rows = []
    for (card_id,) in library.conn.execute("SELECT id FROM cards").fetchall():
        if rng.random() < 0.8:
            stability = rng.uniform(1, 200)
            due = now + timedelta(days=rng.uniform(-30, 90))
            last = due - timedelta(days=stability)
            rows.append((stability, rng.uniform(2, 9), to_db_time(due), to_db_time(last), card_id))
    with library.conn:
        library.conn.executemany(
            "UPDATE cards SET state = 2, step = NULL, stability = ?, difficulty = ?, due = ?,"
            " last_review = ?, reps = 5 WHERE id = ?",
            rows,
        )
    print(f"{len(rows):,} cards in review state")
    library.close()


def summary(name: str, values_ms: list[float]) -> str:
    values = sorted(values_ms)
    median = statistics.median(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    verdict = "ok" if median <= TARGETS_MS[name] else "SLOW"
    return (
        f"{name:<7} median {median:7.2f} ms   p95 {p95:7.2f} ms   max {values[-1]:7.2f} ms"
        f"   (n={len(values)}, target <= {TARGETS_MS[name]} ms: {verdict})"
    )


async def drive(answers: int) -> None:
    from core.config import Config
    from core.library import Library
    from decks.repository import CardStore
    from tui.app import PonderApp
    from tui.screens.deck_picker import deck_rows
    from tui.screens.review import ReviewScreen

    config = Config(reviews_per_day=9999, new_per_day=100)
    library = Library()
    app = PonderApp(library=library, config=config)
    reveal_ms: list[float] = []
    rate_ms: list[float] = []
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = ReviewScreen()
        started = time.perf_counter()
        await app.push_screen(screen)
        while screen.session is None:
            await pilot.pause(0.001)
        open_ms = (time.perf_counter() - started) * 1000
        for _ in range(answers):
            if screen.card is None:
                break
            started = time.perf_counter()
            screen.action_reveal()
            reveal_ms.append((time.perf_counter() - started) * 1000)
            await pilot.pause()
            started = time.perf_counter()
            screen.rate(3)
            rate_ms.append((time.perf_counter() - started) * 1000)
            await pilot.pause()
        store = CardStore(library.conn)
        picker_ms = []
        for _ in range(3):
            started = time.perf_counter()
            rows = deck_rows(store, config)
            picker_ms.append((time.perf_counter() - started) * 1000)
        counts = screen.counts_text()
    print(summary("open", [open_ms]))
    print(summary("reveal", reveal_ms))
    print(summary("rate", rate_ms))
    print(summary("picker", picker_ms) + f"  [{len(rows)} rows]")
    print(f"left after {len(rate_ms)} answers: {counts}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=300, help="cards to rate (default 300)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ponder-bench-review-") as home:
        build(Path(home))
        asyncio.run(drive(args.answers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
