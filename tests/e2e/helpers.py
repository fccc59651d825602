"""Helpers shared by the tmux end-to-end tests: the fixture transcript, reading the app's
database while it runs, and reading panes off the captured screen."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.tmux import TmuxPonder

FIXTURE = Path(__file__).parent / "fixtures" / "long_memory_episode_42.srt"
TITLE = "Long memory episode 42"
LIBRARY_READY = " · sorted by "  # the library status line: "2 transcripts · sorted by ..."
STUDY_READY = "40 segments"


def query(home: Path, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    """Read the app's database (read-only, while the app may be running)."""
    conn = sqlite3.connect(f"file:{home / 'ponder.db'}?mode=ro", uri=True, timeout=10)
    try:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def scalar(home: Path, sql: str, params: tuple[Any, ...] = ()) -> Any:
    return query(home, sql, params)[0][0]


def wait_db(
    tui: TmuxPonder, check: Callable[[], bool], *, what: str, timeout: float = 10.0
) -> None:
    """Poll the database until `check()` holds (the screen is shown if it never does)."""
    tui.wait_until(lambda _screen: check(), timeout=timeout, interval=0.1, what=what)


def chat_text(screen: str) -> str:
    """The right-hand (chat) pane's text as one line: wrapped lines joined by spaces."""
    parts = [line.rsplit("▏", 1)[1] for line in screen.splitlines() if "▏" in line]
    return " ".join(" ".join(parts).split())


def library_row(screen: str, title: str) -> list[str]:
    """Cells after the title of the library row for `title` (duration, added, hl, cards, due)."""
    for line in screen.splitlines():
        if line.strip().startswith(title):
            return line.strip()[len(title) :].split()
    raise AssertionError(f"no library row for {title!r}:\n{screen}")


def ask_box(tui: TmuxPonder) -> None:
    """`a` on the study screen: wait until the question box has the focus (the footer no
    longer shows the transcript's keys), so the question typed next lands in it."""
    tui.press("a")
    tui.wait_gone("v Select")
    tui.wait_stable(quiet=0.1)
