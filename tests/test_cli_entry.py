"""The `ponder` entry point: a database it cannot use is a one-line message, not a traceback."""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
from pathlib import Path


def test_newer_database_is_refused_with_one_line(ponder_home: Path) -> None:
    conn = sqlite3.connect(ponder_home / "ponder.db")
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    for argv in ([], ["list"]):
        result = subprocess.run(
            [sys.executable, "-m", "tui.cli", *argv], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 1, result
        assert "newer than this Ponder" in result.stderr
        assert "Traceback" not in result.stderr


def test_error_messages_never_pass_escape_codes(ponder_home: Path, capsys) -> None:
    from tui.cli import main

    assert main(["add", "/nowhere/\x1b]0;pwned\x07talk.srt"]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert err.startswith("ponder: ") and "talk.srt" in err


def _leaf_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    leaves = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                leaves.extend(_leaf_parsers(sub) or [sub])
    return leaves


def test_every_subcommand_takes_options_anywhere_on_the_line() -> None:
    from tui.cli import build_parser

    parser = build_parser()
    leaves = _leaf_parsers(parser)
    assert len(leaves) > 10
    for leaf in leaves:
        # an optional positional before an option used to swallow nothing and leave the
        # next word "unrecognized"
        assert hasattr(leaf, "parse_known_intermixed_args") and type(leaf).__name__ == (
            "_IntermixedParser"
        ), leaf.prog
    args = parser.parse_args(["guide", "3", "--show", "ideas"])
    assert (args.source_id, args.kind, args.show) == ("3", "ideas", True)
    args = parser.parse_args(["ask", "3", "--new", "Quiz me on this talk"])
    assert (args.source_id, args.question, args.new) == ("3", "Quiz me on this talk", True)


def test_without_a_terminal_the_app_says_so_and_exits(ponder_home: Path) -> None:
    """`ponder < /dev/null` used to spin at 100% CPU on end-of-file forever."""
    for argv in ([], ["ui"], ["review"]):
        with open(os.devnull, "rb") as nothing:
            result = subprocess.run(
                [sys.executable, "-m", "tui.cli", *argv],
                stdin=nothing,
                capture_output=True,
                text=True,
                timeout=60,
            )
        assert result.returncode == 1, (argv, result)
        assert result.stderr.count("\n") == 1, (argv, result.stderr)
        assert "no terminal" in result.stderr, (argv, result.stderr)
        assert "\x1b[" not in result.stdout + result.stderr  # the app never started
