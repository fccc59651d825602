"""Study screen speed: a 10-hour transcript (12,000 segments) in a temporary PONDER_HOME.

Measures, headless (Textual's run_test):
- push -> first paint: from `push_screen(StudyScreen(id))` until the transcript view has
  rendered a line of text (the screen loads the transcript from SQLite, wraps it and paints);
- work per keypress: the action handlers called directly (cursor down/up, page down,
  search step = one more character typed, n = next match), mean and p99 over many calls;
- RSS of the process after the screen is open (VmRSS / VmHWM from /proc/self/status).

Run: /work/venv/bin/python benchmarks/bench_study.py [--segments N]
Targets: first paint <= 500 ms, per keypress <= 16 ms, RSS <= 150 MB.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

_PROSE = (
    "memory retrieval practice spacing forgetting curve learning review sleep "
    "attention the a of and to in is that it for on with as this we you they was are "
    "be have not but what all were when there can an your which their said if do "
    "will each about how up out them then she many some so these would other into "
    "has more her two like him see time could no make than first been its who now "
    "people my made over did down only"
)
WORDS = _PROSE.split()


def synthetic_segments(count: int, seed: int = 7):
    """Caption-like segments: 3 s each, 6-24 words, a speaker change now and then."""
    from core.models import Segment

    rng = random.Random(seed)
    segments = []
    speaker = "Host"
    for index in range(count):
        if rng.random() < 0.05:
            speaker = rng.choice(("Host", "Guest", "Caller"))
        words = rng.randint(6, 24)
        text = " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."
        start = index * 3.0
        segments.append(Segment(text, start, start + 3.0, speaker))
    return segments


def rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) in MB from /proc/self/status."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            name, amount, _unit = line.split()
            values[name] = int(amount) / 1024
    return values.get("VmRSS:", 0.0), values.get("VmHWM:", 0.0)


def timed_calls(func, calls: int) -> tuple[float, float]:
    """(mean, p99) milliseconds of `func()` over `calls` calls."""
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        func()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.fmean(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


async def run(segment_count: int) -> dict[str, float]:
    from core.library import Library
    from core.models import Source, Transcript
    from tui.app import PonderApp
    from tui.screens.study import StudyScreen

    library = Library()
    transcript = Transcript(
        Source(title="Ten hours of talk", origin="bench", kind="youtube", video_id="abcdefghijk"),
        synthetic_segments(segment_count),
    )
    source_id = library.add(transcript).source_id
    app = PonderApp(library=library)
    figures: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        started = time.perf_counter()
        screen = StudyScreen(source_id)
        app.push_screen(screen)
        while True:
            await asyncio.sleep(0.001)
            view = screen._view
            if view is not None and view.first_paint_at is not None:
                break
            if time.perf_counter() - started > 30:
                raise SystemExit("the study screen never painted")
        figures["first_paint_ms"] = (view.first_paint_at - started) * 1000
        await pilot.pause()
        figures["wrapped_lines"] = view.line_count

        calls = 2000
        view.move_cursor(0)
        figures["down_mean_ms"], figures["down_p99_ms"] = timed_calls(
            view.action_cursor_down, calls
        )
        figures["up_mean_ms"], figures["up_p99_ms"] = timed_calls(view.action_cursor_up, calls)
        view.move_cursor(segment_count // 2)
        figures["pgdn_mean_ms"], figures["pgdn_p99_ms"] = timed_calls(view.action_page_down, 200)

        # A search step is one more character typed while the search bar is open: the
        # screen's key handler edits the query and runs the (incremental) search.
        from textual import events

        screen.action_search()
        await pilot.pause()
        query = "retrieval practice"
        steps = []
        for _ in range(20):
            screen.search_bar.input.value = ""
            view.clear_search(restore=0)
            for character in query:
                key = events.Key("space" if character == " " else character, character)
                began = time.perf_counter()
                screen._search_key(key)
                steps.append((time.perf_counter() - began) * 1000)
        screen.action_search_submit()
        steps.sort()
        figures["search_step_mean_ms"] = statistics.fmean(steps)
        figures["search_step_p99_ms"] = steps[int(len(steps) * 0.99)]
        figures["search_step_max_ms"] = steps[-1]
        view.search("the", origin=0)
        figures["matches_for_the"] = len(view.matches)
        figures["next_mean_ms"], figures["next_p99_ms"] = timed_calls(
            view.action_search_next, calls
        )

        # Rendering a full screen of lines after a jump (cache cold): what a keypress
        # costs the compositor, measured separately from the handlers.
        height = view.scrollable_content_region.height
        renders = []
        for target in range(0, segment_count, max(1, segment_count // 50)):
            view.move_cursor(target, center=True)
            view._cache.clear()
            began = time.perf_counter()
            for y in range(height):
                view.render_line(y)
            renders.append((time.perf_counter() - began) * 1000)
        figures["render_screen_cold_mean_ms"] = statistics.fmean(renders)

        began = time.perf_counter()
        view._rewrap(view._wrap_width - 7)
        figures["rewrap_ms"] = (time.perf_counter() - began) * 1000
        await pilot.pause()
        figures["rss_mb"], figures["peak_rss_mb"] = rss_mb()
    library.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=12_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["PONDER_HOME"] = home
        figures = asyncio.run(run(args.segments))
    print(f"study screen, {args.segments} segments ({args.segments * 3 / 3600:.1f} h), 120x40")
    width = max(len(name) for name in figures)
    for name, value in figures.items():
        print(f"  {name.ljust(width)}  {value:10.3f}")
    verdicts = {
        "first paint <= 500 ms": figures["first_paint_ms"] <= 500,
        "cursor/search step p99 <= 16 ms": max(
            figures["down_p99_ms"],
            figures["up_p99_ms"],
            figures["pgdn_p99_ms"],
            figures["search_step_p99_ms"],
            figures["next_p99_ms"],
        )
        <= 16,
        "RSS <= 150 MB": figures["peak_rss_mb"] <= 150,
    }
    for name, ok in verdicts.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {name}")


if __name__ == "__main__":
    main()
