"""Browse screen speed with 100,000 cards: opening it, filtering, paging, the detail panel.

Builds the same synthetic collection as bench_decks.py (100,000 cards in 50 decks with
three years of simulated reviews) on a throwaway PONDER_HOME, or reuses --home DIR
(a folder bench_decks.py built works too). Then, in a headless Ponder app (Textual's
run_test, 120×40), median of --runs:

- opening BrowseScreen filtered to one deck: push -> mounted with its rows -> first
  refresh done                                              target <= 300 ms
- the same for all decks (100,000 matches, one page loaded)
- a filter change (text search over all cards), the next page while scrolling, and the
  detail panel for one card

    python benchmarks/bench_browse.py [--runs 7] [--home DIR]
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

TARGET_OPEN_MS = 300
_BareScreen: type = object
SIZE = (120, 40)


def _line(name: str, value_ms: float, target_ms: float | None = None) -> None:
    verdict = "" if target_ms is None else ("ok" if value_ms <= target_ms else "SLOW")
    target = "" if target_ms is None else f"(target <= {target_ms:g} ms)"
    print(f"  {name:<52} {value_ms:9.2f} ms  {target:<22} {verdict}")


def _bare_screen_class() -> type:
    """A screen with only a Header, an empty DataTable and a Footer: Textual's own floor
    on this machine right now (the figures below are only meaningful next to it)."""
    from textual.screen import Screen
    from textual.widgets import DataTable, Footer, Header

    class BareScreen(Screen[None]):
        def compose(self):  # type: ignore[no-untyped-def]
            yield Header()
            yield DataTable()
            yield Footer()

    return BareScreen


def build(home: Path) -> None:
    """The bench_decks collection, unless the folder already holds one."""
    import bench_decks

    from core import clock
    from core.db import connect
    from decks.repository import CardStore

    conn = connect()
    have = conn.execute("SELECT COUNT(*) FROM cards").fetchone()[0]
    if have:
        print(f"  reusing {have:,} cards in {home}")
        conn.close()
        return
    rng = random.Random(2026)
    now = clock.now()
    start = now - timedelta(days=365 * bench_decks.YEARS)
    started = time.perf_counter()
    CardStore(conn).create_notes_bulk(bench_decks._drafts(rng, start, now), now=now)
    reviews = bench_decks._simulate_history(conn, rng, now)
    conn.execute("ANALYZE")
    conn.close()
    print(
        f"  built {bench_decks.CARDS:,} cards, {reviews:,} reviews in "
        f"{time.perf_counter() - started:.0f} s ({home})"
    )


async def measure(runs: int) -> None:
    from core.library import Library
    from decks.browse import card_details
    from decks.repository import CardStore
    from tui.app import PonderApp
    from tui.screens.browse import BrowseScreen

    global _BareScreen
    _BareScreen = _bare_screen_class()
    library = Library()
    store = CardStore(library.conn)
    counts = library.conn.execute(
        "SELECT deck_id, COUNT(*) FROM cards GROUP BY deck_id ORDER BY 2 DESC"
    ).fetchall()
    total = sum(row[1] for row in counts)
    deck_id, deck_cards = counts[0][0], counts[0][1]
    deck = store.deck(deck_id)
    parent_id = deck.parent_id if deck and deck.parent_id else deck_id
    parent_cards = sum(row[1] for row in counts if row[0] in set(store.subdeck_ids(parent_id)))
    print(f"  collection: {total:,} cards in {len(counts)} decks")
    app = PonderApp(library=library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()

        frames: dict[int, float] = {}
        display = app._display

        def timed_display(screen: object, renderable: object) -> None:
            # The first frame the compositor renders for a browse screen showing rows.
            key = id(screen)
            if renderable is not None and key not in frames and getattr(screen, "views", None):
                frames[key] = time.perf_counter()
            display(screen, renderable)  # type: ignore[arg-type]

        app._display = timed_display  # type: ignore[method-assign]

        async def open_once(target: int | None) -> tuple[float, float, float, BrowseScreen]:
            screen = BrowseScreen(target)
            started = time.perf_counter()
            await app.push_screen(screen)
            mounted = (time.perf_counter() - started) * 1000
            assert screen.views, "the browse screen showed no rows"
            await pilot.pause()
            idle = (time.perf_counter() - started) * 1000
            painted = (frames.pop(id(screen)) - started) * 1000
            return mounted, painted, idle, screen

        async def open_times(target: int | None) -> tuple[float, float, float]:
            results = []
            for _ in range(runs):
                *times, _screen = await open_once(target)
                results.append(times)
                await app.pop_screen()
                await pilot.pause()
            return tuple(statistics.median(column) for column in zip(*results, strict=True))

        await open_times(deck_id)  # warm the page cache and imports once
        reference = []
        for _ in range(runs):
            bare = _BareScreen()
            started = time.perf_counter()
            await app.push_screen(bare)
            await pilot.pause()
            reference.append((time.perf_counter() - started) * 1000)
            await app.pop_screen()
            await pilot.pause()
        _line("reference: bare Header+DataTable+Footer screen, idle", statistics.median(reference))
        mounted, painted, idle = await open_times(deck_id)
        _line(f"open, one deck ({deck_cards:,} cards): mounted with rows", mounted)
        _line("  ... first frame with the rows rendered", painted, TARGET_OPEN_MS)
        _line("  ... idle (detail panel and count done)", idle)
        mounted, painted, idle = await open_times(parent_id)
        _line(
            f"open, parent deck ({parent_cards:,} cards, subdecks): first frame",
            painted,
            TARGET_OPEN_MS,
        )
        _line("  ... idle", idle)
        mounted, painted, idle = await open_times(None)
        _line(f"open, all decks ({total:,} cards): first frame", painted, TARGET_OPEN_MS)
        _line("  ... idle", idle)

        *_times, screen = await open_once(deck_id)
        times = []
        for word in ("entropy", "photon gravity", "market", "sleep", "treaty", "verb", "cell"):
            screen.search_input.value = word
            started = time.perf_counter()
            screen._reload_now()
            times.append((time.perf_counter() - started) * 1000)
        _line("filter change: text search in the deck (query + rows)", statistics.median(times))
        screen.search_input.value = ""
        screen.deck_select.clear()
        times = []
        for word in ("entropy photon", "market", "sleep"):
            screen.search_input.value = word
            started = time.perf_counter()
            screen._reload_now()
            times.append((time.perf_counter() - started) * 1000)
        _line("filter change: text search, all 100k cards", statistics.median(times))
        screen.search_input.value = ""
        screen._reload_now()
        times = []
        for _ in range(min(runs, 5)):
            started = time.perf_counter()
            screen.load_more()
            times.append((time.perf_counter() - started) * 1000)
        _line(
            f"next page while scrolling ({screen.views and len(screen.views):,} loaded)",
            statistics.median(times),
        )
        card_id = screen.views[0].card.id
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            card_details(store, card_id, config=app.config)
            times.append((time.perf_counter() - started) * 1000)
        _line("detail panel data (memory state + history)", statistics.median(times))
        times = []
        for row in range(runs):
            started = time.perf_counter()
            screen.table.move_cursor(row=row + 1, animate=False)
            await pilot.pause()
            times.append((time.perf_counter() - started) * 1000)
        _line("cursor down one row incl. detail redraw", statistics.median(times))
    library.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--home", help="data folder to build in / reuse (default: a temp dir)")
    args = parser.parse_args()
    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="ponder-bench-"))
    home.mkdir(parents=True, exist_ok=True)
    os.environ["PONDER_HOME"] = str(home)
    os.environ.pop("PONDER_FAKE_NOW", None)
    print(
        "Ponder browse benchmark (headless app, Textual run_test "
        f"{SIZE[0]}×{SIZE[1]}, median of {args.runs})"
    )
    build(home)
    asyncio.run(measure(args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
