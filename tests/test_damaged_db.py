"""A damaged ponder.db: one line saying so and how to recover; restore works over it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SRT = "1\n00:00:01,000 --> 00:00:03,000\nHello there.\n\n"


def _ponder(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *argv], capture_output=True, text=True, timeout=60
    )


def _overwrite_header(path: Path) -> None:
    with open(path, "r+b") as handle:
        handle.write(b"\x00garbage, not SQLite at all\x00" * 4)


def _truncate(path: Path) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.truncate(size // 2)


def _good_database_with_backup(home: Path, tmp_path: Path) -> Path:
    assert _ponder("list").returncode == 0  # creates the database with the demo source
    card = _ponder("card", "add", "1", "--front", "What is FSRS?", "--back", "A scheduler")
    assert card.returncode == 0, card
    backup = tmp_path / "good.db"
    assert _ponder("backup", str(backup)).returncode == 0
    return backup


@pytest.mark.parametrize("damage", [_overwrite_header, _truncate], ids=["header", "truncated"])
def test_commands_on_a_damaged_database_say_so_in_one_line(
    ponder_home: Path, tmp_path: Path, damage
) -> None:
    backup = _good_database_with_backup(ponder_home, tmp_path)
    database = ponder_home / "ponder.db"
    damage(database)
    talk = tmp_path / "talk.srt"
    talk.write_text(SRT, encoding="utf-8")
    for argv in (["list"], ["cards"], ["show", "1"], ["add", str(talk)]):
        result = _ponder(*argv)
        assert result.returncode == 1, (argv, result)
        assert "Traceback" not in result.stderr, (argv, result.stderr)
        lines = result.stderr.splitlines()
        assert len(lines) == 1, (argv, result.stderr)
        assert "damaged" in lines[0] and "ponder restore" in lines[0], lines[0]

    damaged_bytes = database.read_bytes()
    restored = _ponder("restore", str(backup), "--yes")
    assert restored.returncode == 0, restored
    kept = list(ponder_home.glob("ponder.db.damaged-*"))
    kept = [k for k in kept if not k.name.endswith(("-wal", "-shm"))]
    assert len(kept) == 1 and kept[0].read_bytes() == damaged_bytes
    assert str(kept[0]) in restored.stdout
    cards = _ponder("cards")
    assert cards.returncode == 0, cards
    assert "What is FSRS?" in cards.stdout


def test_restore_over_a_healthy_database_still_keeps_a_bak_copy(
    ponder_home: Path, tmp_path: Path
) -> None:
    backup = _good_database_with_backup(ponder_home, tmp_path)
    assert _ponder("restore", str(backup), "--yes").returncode == 0
    assert list(ponder_home.glob("ponder.db.bak-*"))
    assert not list(ponder_home.glob("ponder.db.damaged-*"))
    assert os.path.exists(ponder_home / "ponder.db")
