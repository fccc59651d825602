"""The real `ponder` command in tmux: import, open, search, select, highlight, restart.

Every wait polls capture-pane (tests/e2e/tmux.py); nothing sleeps for a fixed time.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.tmux import TmuxPonder

CUES = [
    "Welcome to the talk on memory.",
    "Forgetting is fast at first.",
    "Spacing reviews fights the forgetting curve.",
    "Retrieval practice strengthens memories.",
    "Sleep consolidates what you learned.",
    "Interleaving mixes topics.",
    "Thanks for listening.",
]
LIBRARY_READY = "transcripts · sorted by"  # the library status line


def write_srt(path: Path, cues: list[str] = CUES) -> Path:
    blocks = [
        f"{i + 1}\n00:00:{i * 5:02d},000 --> 00:00:{i * 5 + 4:02d},000\n{text}\n"
        for i, text in enumerate(cues)
    ]
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def library_row(screen: str, title: str) -> list[str]:
    """The cells of the library row whose title starts with `title`."""
    for line in screen.splitlines():
        if line.strip().startswith(title):
            return line.split()
    raise AssertionError(f"no row for {title!r}:\n{screen}")


def test_import_study_highlight_and_find_it_after_a_restart(
    tmux_ponder: TmuxPonder, tmp_path: Path
) -> None:
    tui = tmux_ponder
    srt = write_srt(tmp_path / "memory.srt")
    added = tui.cli("add", str(srt))
    source_id = added.stdout.strip().splitlines()[-1]
    assert source_id.isdigit()

    tui.start()
    screen = tui.wait_ready(LIBRARY_READY)
    assert "Ponder demo" in screen and "Memory" in screen
    assert library_row(screen, "Memory")[1:2] == ["0:00:34"]

    # Filter to the new transcript and open it.
    tui.press("slash")
    tui.type("memo")
    tui.wait_for("1 of 2 transcripts")
    tui.press("enter", "enter")
    tui.wait_ready("Welcome to the talk on memory.")
    assert "Memory" in tui.lines[0]

    # Search, then select three segments from the match and highlight them.
    tui.press("slash")
    tui.wait_for("search (Enter keeps")  # the search bar has the focus
    tui.type("Spacing")
    tui.press("enter")
    tui.wait_for("/Spacing 1/1")
    tui.press("v", "j", "j")
    tui.wait_for("VISUAL 3 segment")
    tui.press("h")
    tui.wait_for("Highlighted 3 segments")

    # Back to the library: the count is there; quit.
    tui.press("q")
    screen = tui.wait_ready(LIBRARY_READY)
    tui.wait_until(lambda s: library_row(s, "Memory")[3] == "1", what="highlight count 1")
    tui.press("q")
    assert tui.wait_exit() == 0

    # Restart: the same transcript is still selected; the highlight is still there.
    tui.restart()
    screen = tui.wait_ready(LIBRARY_READY)
    assert library_row(screen, "Memory")[3] == "1"
    tui.press("enter")
    tui.wait_ready("Welcome to the talk on memory.")
    tui.press("H")
    screen = tui.wait_for("Highlights · 1")
    assert re.search(r"\[00:00:10\] Spacing reviews fights the forgetting curve\.", screen)
    assert "Retrieval practice" in screen
    tui.press("escape")
    tui.wait_gone("Highlights · 1")
    tui.wait_stable()
    tui.press("q")
    tui.wait_ready(LIBRARY_READY)
    tui.press("q")
    assert tui.wait_exit() == 0


def test_add_dialog_untrusted_titles_theme_and_delete(
    tmux_ponder: TmuxPonder, tmp_path: Path
) -> None:
    tui = tmux_ponder
    hostile = "[@click=app.quit]x[/] \x1b[31mred\x1b[0m [b]b[/b]"
    tui.cli("add", str(write_srt(tmp_path / "one.srt", CUES[:3])), "--title", hostile)
    write_srt(tui.workdir / "second talk.srt", CUES[3:])  # ponder runs in tui.workdir

    tui.start()
    screen = tui.wait_ready(LIBRARY_READY)
    # Shown exactly as stored: markup as characters, ESC as a visible symbol.
    assert "[@click=app.quit]x[/] ␛[31mred␛[0m [b]b[/b]" in screen

    # Add a file through the dialog, with Tab completing the path.
    tui.press("a")
    tui.wait_ready("Add a transcript")
    tui.type("./sec")
    tui.wait_for("./second talk.srt")  # the completion is suggested
    tui.press("tab", "enter")
    screen = tui.wait_for("Added: Second talk")
    assert "3 transcripts" in screen

    # Pick another theme in the palette; it is saved to the config.
    tui.press("ctrl+p")
    tui.wait_ready("Search for commands")
    tui.type("theme")
    tui.wait_for("Change the current theme")
    tui.press("enter")
    tui.wait_ready("Search for themes")
    tui.type("nord")
    tui.wait_stable()
    tui.press("enter")
    tui.wait_until(
        lambda _s: (
            'theme = "nord"' in (tui.home / "config.toml").read_text(encoding="utf-8")
            if (tui.home / "config.toml").exists()
            else False
        ),
        what="the theme in config.toml",
    )

    # Delete the selected (new) transcript after a confirmation naming it.
    tui.press("d")
    tui.wait_for("Delete “Second talk”?")
    tui.press("y")
    screen = tui.wait_for("Deleted: Second talk")
    assert "2 transcripts" in screen
    tui.press("q")
    assert tui.wait_exit() == 0
    assert "Second talk" not in tui.cli("list").stdout
