"""Writers take turns: a `ponder add` that finds the database locked by a long import waits
for it (SQLite's 5 s busy timeout used to end it with "database is locked"), and a writer
that does give up names the work holding the lock."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core import db
from core.library import Library

REPO = Path(__file__).resolve().parent.parent
HOLDER = """
import sys
from core.db import connect, set_activity, transaction
set_activity(sys.argv[1])
conn = connect()
with transaction(conn):
    conn.execute("INSERT INTO app_state (key, value) VALUES ('holder', 'x')"
                 " ON CONFLICT(key) DO UPDATE SET value = excluded.value")
    print("locked", flush=True)
    sys.stdin.readline()
conn.close()
"""


def srt(path: Path, segments: int, tag: str) -> Path:
    words = [
        "memory",
        "spacing",
        "retrieval",
        "practice",
        "forgetting",
        "curve",
        "sleep",
        "consolidation",
    ]
    rng = random.Random(tag)
    with path.open("w", encoding="utf-8") as handle:
        for index in range(segments):
            start = index * 2
            stamp = f"{start // 3600:02}:{start // 60 % 60:02}:{start % 60:02}"
            end = start + 2
            until = f"{end // 3600:02}:{end // 60 % 60:02}:{end % 60:02}"
            text = " ".join(rng.choice(words) for _ in range(12))
            handle.write(f"{index + 1}\n{stamp},000 --> {until},000\n{text} {tag}\n\n")
    return path


def spawn(*argv: str, **options) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *argv],
        cwd=REPO,
        env=dict(os.environ),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **options,
    )


def hold_the_lock(activity: str) -> subprocess.Popen[str]:
    holder = spawn("-c", HOLDER, activity, stdin=subprocess.PIPE)
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked", holder.stderr.read()  # type: ignore[union-attr]
    return holder


def release(holder: subprocess.Popen[str]) -> None:
    assert holder.stdin is not None
    holder.stdin.write("\n")
    holder.stdin.flush()
    holder.wait(timeout=60)
    assert holder.returncode == 0


def titles() -> list[str]:
    library = Library()
    try:
        return [source.title for source in library.sources()]
    finally:
        library.close()


def test_a_writer_waits_past_the_busy_timeout_for_its_turn(tmp_path: Path) -> None:
    titles()  # the database exists, migrated
    talk = srt(tmp_path / "waiting talk.srt", 20, "w")
    holder = hold_the_lock("ponder add big0.srt")
    try:
        adding = spawn("-m", "tui.cli", "add", str(talk))
        # Past SQLite's busy timeout, the add is still waiting (it used to fail here).
        until = time.monotonic() + db.BUSY_TIMEOUT_MS / 1000 * 1.6
        while time.monotonic() < until:
            assert adding.poll() is None, adding.communicate()
            time.sleep(0.2)
    finally:
        release(holder)
    _out, err = adding.communicate(timeout=120)
    assert adding.returncode == 0, err
    assert "Waiting talk" in titles()
    notes = Path(os.environ["PONDER_HOME"]).glob("ponder.db.writer-*")
    assert [n.name for n in notes] == [f"ponder.db.writer-{os.getpid()}"]  # theirs: gone at exit


def test_a_real_timeout_names_the_work_holding_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tui.cli import main

    titles()
    talk = srt(tmp_path / "late.srt", 5, "late")
    monkeypatch.setattr(db, "WRITE_WAIT_S", 1.0)
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
    holder = hold_the_lock("ponder add big0.srt")
    try:
        code = main(["add", str(talk)])
    finally:
        release(holder)
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "busy" in err and "ponder add big0.srt" in err and f"pid {holder.pid}" in err, err
    assert "Late" not in titles()


def test_four_large_adds_at_once_all_land(tmp_path: Path) -> None:
    """The issue's case: four `ponder add` of large files started together."""
    titles()
    talks = [srt(tmp_path / f"large {n}.srt", 12_000, f"t{n}") for n in range(4)]
    started = time.monotonic()
    adds = [spawn("-m", "tui.cli", "add", str(talk)) for talk in talks]
    results = [(add.communicate(timeout=900), add.returncode) for add in adds]
    elapsed = time.monotonic() - started
    for (_out, err), code in results:
        assert code == 0, err
        assert "locked" not in err
    assert {f"Large {n}" for n in range(4)} <= set(titles()), elapsed


def test_notes_of_killed_writers_are_swept(ponder_home: Path) -> None:
    killed = spawn("-c", "import time; time.sleep(60)")
    killed.kill()
    killed.wait(timeout=30)
    stale = ponder_home / f"ponder.db.writer-{killed.pid}"
    stale.write_text("0\nponder add gone.srt", encoding="utf-8")
    titles()  # this process writes (the migrations): its note goes in, the stale one out
    assert not stale.exists()
    assert (ponder_home / f"ponder.db.writer-{os.getpid()}").exists()
    assert db.lock_holder(ponder_home / "ponder.db") is None  # nobody else is writing


def test_opening_waits_out_a_lock_longer_than_one_busy_timeout(
    ponder_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Setting up a connection (WAL mode, migrations) waits for another Ponder's lock as a
    write does, instead of failing after one busy timeout: here a new database file held
    under an exclusive lock for five busy timeouts."""
    import sqlite3
    import threading

    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
    path = ponder_home / "ponder.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")  # a rollback-journal database: nobody may even read
    released = threading.Event()

    def release_later() -> None:
        time.sleep(1.0)
        other.execute("COMMIT")
        released.set()

    threading.Thread(target=release_later, daemon=True).start()
    conn = db.connect(path)
    try:
        assert released.is_set()
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        assert version == db.migrations()[-1][0]
    finally:
        conn.close()
        other.close()
