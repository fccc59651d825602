"""Backups taken while another process reviews, restores, and refusing bad backups."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.backup import BackupError, backup_database, restore_database, validate_backup
from core.db import connect
from decks.repository import CardStore

# A separate process reviewing cards as fast as it can, printing each committed log id.
WRITER = textwrap.dedent(
    """
    import sys
    from datetime import timedelta
    from fsrs import Rating
    from core import clock
    from core.config import Config
    from core.db import connect
    from decks import scheduling
    from decks.repository import CardStore

    store = CardStore(connect())
    card_ids = [row[0] for row in store.conn.execute("SELECT id FROM cards ORDER BY id")]
    moment = clock.now()
    total = int(sys.argv[1])
    for number in range(total):
        card = store.get_card(card_ids[number % len(card_ids)])
        scheduler = scheduling.scheduler_for_deck(store, card.deck_id, Config())
        moment += timedelta(minutes=1)
        outcome = scheduling.review(scheduler, card, Rating(1 + number % 4), moment)
        log_id, _ = store.record_review(card, outcome.after, 1 + number % 4, moment, 1500)
        print(log_id, flush=True)
    """
)


def _reviews(path: Path) -> set[int]:
    conn = sqlite3.connect(path)
    try:
        return {row[0] for row in conn.execute("SELECT id FROM review_log")}
    finally:
        conn.close()


def _consistent(path: Path) -> bool:
    """Every card's rep count equals its reviews: no review without its card update."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT c.reps, (SELECT COUNT(*) FROM review_log r WHERE r.card_id = c.id) FROM cards c"
        ).fetchall()
    finally:
        conn.close()
    return all(reps == logged for reps, logged in rows)


def test_backup_during_a_review_session_restores_every_committed_review(
    ponder_home: Path, tmp_path: Path
) -> None:
    store = CardStore(connect())
    for index in range(20):
        store.create_note("basic", f"q{index}", f"a{index}", deck="Live")
    store.close()

    total = 600
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(total)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        committed_before = set()
        for _ in range(100):  # let the session get going
            line = writer.stdout.readline()
            assert line, writer.stderr.read()
            committed_before.add(int(line))
        backup = tmp_path / "during.db"
        result = backup_database(backup)  # while the writer keeps committing
        remaining = [int(line) for line in writer.stdout]
        assert writer.wait(timeout=120) == 0, writer.stderr.read()
    finally:
        if writer.poll() is None:
            writer.kill()
    assert len(committed_before) + len(remaining) == total
    assert remaining, "the writer finished before the backup: the test proved nothing"

    in_backup = _reviews(backup)
    assert committed_before <= in_backup  # everything committed before the backup began
    assert _consistent(backup)  # a snapshot between transactions, never half a review
    assert result.info.reviews == len(in_backup)
    assert validate_backup(backup).reviews == len(in_backup)
    assert not Path(f"{backup}-wal").exists()  # one self-contained file

    live = ponder_home / "ponder.db"
    everything = _reviews(live)
    assert len(everything) == total
    watcher = connect()  # a running Ponder keeps its connection across the restore
    restored = restore_database(backup)
    assert _reviews(live) == in_backup and _consistent(live)
    assert {row[0] for row in watcher.execute("SELECT id FROM review_log")} == in_backup
    watcher.close()
    kept = Path(restored.previous_copy)
    assert kept.name.startswith("ponder.db.bak-") and kept.parent == live.parent
    assert _reviews(kept) == everything


def test_bad_backups_are_refused_with_a_reason(ponder_home: Path, tmp_path: Path) -> None:
    connect().close()
    with pytest.raises(BackupError, match="is not a file"):
        validate_backup(tmp_path / "missing.db")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(BackupError, match="not a SQLite database"):
        validate_backup(text)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(BackupError, match="not a Ponder database"):
        validate_backup(other)
    newer = tmp_path / "newer.db"
    backup_database(newer)
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 999")
    conn.commit()
    conn.close()
    with pytest.raises(BackupError, match="newer Ponder"):
        validate_backup(newer)
    damaged = tmp_path / "damaged.db"
    backup_database(damaged)
    data = bytearray(damaged.read_bytes())
    data[4096:8192] = b"\xff" * 4096  # scribble over a page
    damaged.write_bytes(bytes(data))
    with pytest.raises(BackupError, match=r"damaged|cannot be read"):
        validate_backup(damaged)
    before = (ponder_home / "ponder.db").read_bytes()
    with pytest.raises(BackupError):
        restore_database(damaged)
    assert (ponder_home / "ponder.db").read_bytes() == before  # nothing touched
    assert not list(ponder_home.glob("ponder.db.bak-*"))


def test_backup_refuses_to_overwrite_and_to_copy_onto_itself(
    ponder_home: Path, tmp_path: Path
) -> None:
    connect().close()
    out = tmp_path / "b.db"
    out.write_text("keep me")
    with pytest.raises(BackupError, match="already exists; use --force"):
        backup_database(out)
    assert out.read_text() == "keep me"
    backup_database(out, force=True)
    assert validate_backup(out).schema_version >= 1
    with pytest.raises(BackupError):
        backup_database(ponder_home / "ponder.db", force=True)


def test_cli_backup_and_restore(
    ponder_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from tui.cli import main

    store = CardStore(connect())
    store.create_note("basic", "kept", "in backup", deck="D")
    store.close()
    out = tmp_path / "cli.db"
    assert main(["backup", str(out)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(out)
    assert main(["backup", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err

    store = CardStore(connect())
    store.create_note("basic", "after", "backup", deck="D")
    store.close()
    # pytest's stdin is not a terminal: restoring needs --yes.
    assert main(["restore", str(out)]) == 1
    assert "pass --yes" in capsys.readouterr().err
    assert main(["restore", str(tmp_path / "nope.db"), "--yes"]) == 1
    assert "is not a file" in capsys.readouterr().err
    assert main(["restore", str(out), "--yes"]) == 0
    printed = capsys.readouterr().out
    assert "ponder.db.bak-" in printed and "Restored" in printed
    fronts = {row[0] for row in connect().execute("SELECT front FROM notes")}
    assert fronts == {"kept"}
