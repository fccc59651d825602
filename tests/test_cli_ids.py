"""Ids past SQLite's integer range: one line on stderr, never an OverflowError."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tui.cli import main

HUGE = str(2**63)

COMMANDS = [
    ["show", HUGE],
    ["remove", HUGE],
    ["card", "show", HUGE],
    ["card", "delete", HUGE],
    ["card", "suspend", HUGE],
    ["card", "add", HUGE, "--front", "f", "--back", "b"],
    ["ask", HUGE, "why?"],
    ["guide", HUGE],
    ["chats", HUGE],
    ["export", "markdown", HUGE, "out.md"],
]


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda argv: " ".join(argv[:2]))
def test_an_id_past_sqlite_range_is_one_line(argv: list[str], capsys) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("ponder: "), err
    assert HUGE in err and "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["card", "add", "-", "--front", "f", "--highlight", HUGE],
        ["ask", "1", "why?", "--conversation", HUGE],
        ["chats", "1", "--show", HUGE],
    ],
    ids=lambda argv: argv[-2],
)
def test_an_id_option_past_sqlite_range_is_a_usage_error(argv: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert HUGE in err and "Traceback" not in err


def test_show_with_a_huge_id_through_the_real_entry(ponder_home: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "show", HUGE], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1, result
    assert result.stderr.count("\n") == 1 and HUGE in result.stderr
