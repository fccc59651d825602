"""Bytes that are not UTF-8 in argv and file names (Latin-1 `café`), and output in a locale
that cannot encode everything: accepted, stored as the characters meant, printed safely.
They used to end in UnicodeEncodeError tracebacks (SQLite and UTF-8 output refuse the lone
surrogates Python uses for such bytes)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from core.textsafe import from_os

CAFE = b"caf\xe9"  # café in Latin-1: not valid UTF-8
SRT = b"1\n00:00:01,000 --> 00:00:03,000\nHello there, caf\xc3\xa9 talk.\n\n"


def ponder(*argv: str | bytes, **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *argv],
        capture_output=True,
        timeout=120,
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
    )


def ok(result: subprocess.CompletedProcess[bytes]) -> str:
    assert b"Traceback" not in result.stderr, result.stderr.decode(errors="replace")
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout.decode("utf-8", errors="replace")


def rows(home: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(home / "ponder.db")
    try:
        return [tuple(row) for row in conn.execute(sql)]
    finally:
        conn.close()


def test_from_os_reads_stray_bytes_as_latin_1() -> None:
    assert from_os(os.fsdecode(CAFE)) == "café"
    assert from_os("naïve ✓") == "naïve ✓"
    assert from_os(os.fsdecode(b"\x81x")) == "\ufffdx"  # no meaning in Windows-1252


def test_latin_1_bytes_in_paths_titles_fronts_questions_and_searches(
    ponder_home: Path, tmp_path: Path
) -> None:
    folder = os.fsencode(tmp_path)
    talk = folder + b"/" + CAFE + b".srt"
    with open(talk, "wb") as handle:
        handle.write(SRT)
    ok(ponder("list"))
    added = ok(ponder(b"add", talk))
    assert added.strip().splitlines()[-1] == "2"
    [(title, origin)] = rows(ponder_home, "SELECT title, origin FROM sources WHERE id = 2")
    assert "café" in title.lower() and origin.endswith("café.srt")

    ok(ponder(b"rename", b"2", CAFE + b" title"))
    assert rows(ponder_home, "SELECT title FROM sources WHERE id = 2") == [("café title",)]
    ok(ponder(b"card", b"add", b"2", b"--front", CAFE + b"?", b"--back", b"Yes"))
    assert rows(ponder_home, "SELECT front FROM notes") == [("café?",)]
    found = ponder(b"search", CAFE)
    assert b"Traceback" not in found.stderr and found.returncode in (0, 1)
    assert "café" in ok(ponder(b"search", b"hello"))

    # A question with no key: refused in one line, kept as a draft with the real text.
    asked = ponder(b"ask", b"2", CAFE + b" means?")
    assert asked.returncode == 1 and b"Traceback" not in asked.stderr
    assert rows(ponder_home, "SELECT content FROM chat_messages") == [("café means?",)]

    # A Latin-1 output name is written where it was asked for (the bytes kept).
    out = folder + b"/" + CAFE + b".md"
    ok(ponder(b"export", b"markdown", b"2", out))
    assert os.path.exists(out)


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_printing_is_safe_in_any_locale(ponder_home: Path, encoding: str) -> None:
    ok(ponder("list"))
    ok(ponder("rename", "1", "café ✓ → 學"))
    ok(ponder("card", "add", "1", "--front", "Ω ✓ café", "--back", "學"))
    for argv in (["list"], ["cards"], ["show", "1"], ["search", "spacing"], ["stats"]):
        result = ponder(*argv, PYTHONIOENCODING=encoding)
        assert b"Traceback" not in result.stderr, (argv, result.stderr)
        assert result.returncode == 0, (argv, result.stderr)
    listed = ponder("list", PYTHONIOENCODING="ascii").stdout.decode("ascii")
    assert "caf\\xe9 \\u2713" in listed
