"""The disk filling up under the running app (a real tmpfs, a real terminal in tmux): a
write fails, the app ends with one line saying the disk is full and exit status 1 (it
used to print a traceback and exit 0), the terminal is given back, the database intact."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.e2e.helpers import FIXTURE, LIBRARY_READY
from tests.e2e.tmux import TmuxPonder, tmux_available
from tests.test_storage_faults import fill, small_disk  # noqa: F401 - a fixture

ENV = {"PONDER_FAKE_NOW": "2026-03-02T09:00:00+00:00", "TZ": "UTC"}


def integrity(home: Path) -> str:
    conn = sqlite3.connect(f"file:{home / 'ponder.db'}?mode=ro&immutable=1", uri=True)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def test_the_disk_filling_up_under_the_app(small_disk: Path, tmp_path: Path) -> None:  # noqa: F811
    if not tmux_available():
        pytest.skip("tmux is not installed")
    home = small_disk / "home"
    home.mkdir()
    with TmuxPonder(home, workdir=tmp_path, env=ENV) as tui:
        tui.cli("add", str(FIXTURE))
        tui.start()
        tui.wait_ready(LIBRARY_READY)
        filler = fill(small_disk)
        # Moving the selection writes it (so the app reopens on the same row), then the
        # sort order: one of them needs a new page of the write-ahead log.
        for key in ("j", "k", "s", "s", "s"):
            if not tui.running:
                break
            tui.press(key)
            tui.wait_stable(quiet=0.3, timeout=20)
        status = tui.wait_exit(timeout=30)
        # The line printed after the app left the alternate screen, wrapped lines joined,
        # with the scrollback (it may have scrolled).
        screen = tui.tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", tui.target)
        assert status == 1, screen
        assert "disk is full" in screen.lower() and "Traceback" not in screen, screen
        filler.unlink()
    assert integrity(home) == "ok"
