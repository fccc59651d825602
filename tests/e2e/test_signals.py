"""SIGTERM and SIGHUP to the running app, in a real terminal (tmux): the terminal is given
back as it was (main screen, no mouse reporting, cursor shown) and every answer already
given stays saved. Python's default was to die on the spot with the terminal still in the
app's modes."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.e2e.helpers import FIXTURE, LIBRARY_READY, scalar, wait_db
from tests.e2e.tmux import TmuxPonder, tmux_available

ENV = {"PONDER_FAKE_NOW": "2026-03-02T09:00:00+00:00", "TZ": "UTC"}
MODES = "#{alternate_on} #{mouse_any_flag} #{mouse_button_flag} #{mouse_sgr_flag}"
HIDE_CURSOR, SHOW_CURSOR = b"\x1b[?25l", b"\x1b[?25h"


def pane_modes(tui: TmuxPonder) -> dict[str, str]:
    """The pane's terminal modes as tmux tracks them. (tmux 3.3's cursor_flag stays 0 after
    leaving the alternate screen even when the cursor is shown, so the cursor is checked
    in the bytes the app wrote instead.)"""
    names = ("alternate", "mouse_any", "mouse_button", "mouse_sgr")
    values = tui.tmux("display-message", "-p", "-t", tui.target, MODES).split()
    return dict(zip(names, values, strict=True))


def cursor_shown_at_the_end(raw: bytes) -> bool:
    return raw.rfind(SHOW_CURSOR) > raw.rfind(HIDE_CURSOR)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["TERM", "HUP"])
def test_a_signal_restores_the_terminal_and_keeps_the_answers(
    ponder_home: Path, tmp_path: Path, signum: int
) -> None:
    if not tmux_available():
        pytest.skip("tmux is not installed")
    with TmuxPonder(ponder_home, workdir=tmp_path, env=ENV) as tui:
        source = tui.cli("add", str(FIXTURE)).stdout.strip().splitlines()[-1]
        tui.cli("card", "add", source, "--front", "Who measured forgetting?", "--back", "E.")
        tui.cli("card", "add", source, "--front", "What beats rereading?", "--back", "Recall")
        raw = tmp_path / "pane.raw"
        tui.start()
        tui.tmux("pipe-pane", "-t", tui.target, "-o", f"cat >> {raw}")
        tui.wait_ready(LIBRARY_READY)
        running = pane_modes(tui)
        assert running["alternate"] == "1", running
        assert "1" in (running["mouse_any"], running["mouse_button"]), running
        tui.press("r")
        tui.wait_ready("Show answer")
        tui.press("space")
        tui.wait_for("3 Good")
        tui.press("3")
        wait_db(
            tui,
            lambda: scalar(ponder_home, "SELECT count(*) FROM review_log") == 1,
            what="the answer committed",
        )

        assert tui.kill(signum, timeout=30) == 128 + signum

        restored = pane_modes(tui)
        assert set(restored.values()) == {"0"}, restored  # main screen, no mouse reporting
        assert "Traceback" not in tui.capture()
        deadline = time.monotonic() + 10  # pipe-pane's cat may lag behind the pane
        while not cursor_shown_at_the_end(raw.read_bytes()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert HIDE_CURSOR in raw.read_bytes()  # the recording did see the app hide it
        assert cursor_shown_at_the_end(raw.read_bytes()), "the cursor was left hidden"
    assert scalar(ponder_home, "SELECT count(*) FROM review_log") == 1
    assert scalar(ponder_home, "PRAGMA integrity_check") == "ok"
