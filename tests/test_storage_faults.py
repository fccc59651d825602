"""The disk and the data folder misbehaving: a read-only folder or database, PONDER_HOME that
is a file, ponder.db that is a folder, a full disk. Each is one line naming the problem and
what to do (exit 1), never a traceback, and the database stays intact.

Read-only and full file systems are real: a read-only bind mount and a small tmpfs when the
machine allows mounting (root), chmod for a normal user; skipped with a reason otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SRT = "1\n00:00:01,000 --> 00:00:03,000\nHello there.\n\n2\n00:00:04,000 --> 00:00:06,000\nBye.\n"


def ponder(home: Path, *argv: str, stdin: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PONDER_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
    )


def one_line(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """The command failed with exactly one line on stderr containing every needle."""
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle.lower() in lines[0].lower(), (needle, lines[0])
    return lines[0]


def library_with_a_card(home: Path, tmp_path: Path) -> Path:
    talk = tmp_path / "talk.srt"
    talk.write_text(SRT, encoding="utf-8")
    assert ponder(home, "add", str(talk)).returncode == 0
    added = ponder(home, "card", "add", "2", "--front", "Kept?", "--back", "Yes")
    assert added.returncode == 0, added
    return talk


def contents(home: Path) -> list[tuple]:
    conn = sqlite3.connect(f"file:{home / 'ponder.db'}?mode=ro&immutable=1", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT id, title FROM sources ORDER BY id").fetchall()
        rows += conn.execute("SELECT id, front, back FROM notes ORDER BY id").fetchall()
        return rows
    finally:
        conn.close()


# -- mounts ----------------------------------------------------------------------------------


def _run(*argv: str) -> bool:
    return subprocess.run(argv, capture_output=True, timeout=30).returncode == 0


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """`path` (a folder or a file) read-only for this process, for real."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    if not (_run("mount", "--bind", str(path), str(path))):
        pytest.skip("root cannot bind-mount here, and root ignores file permissions")
    try:
        if not _run("mount", "-o", "remount,bind,ro", str(path)):
            pytest.skip("cannot remount read-only here")
        yield
    finally:
        _run("umount", str(path))


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 6 MB tmpfs (root only): a file system that really fills up."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    if not _run("mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)):
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        yield mount
    finally:
        _run("umount", "-l", str(mount))


def fill(disk: Path) -> Path:
    """Write a file until the disk is full; returns it (delete it to free the space)."""
    filler = disk / "filler"
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC
    with contextlib.suppress(OSError), open(filler, "ab") as handle:
        while True:
            handle.write(b"\0" * 512)
            handle.flush()
    return filler


# -- the data folder -------------------------------------------------------------------------


def test_ponder_home_that_is_a_file(tmp_path: Path) -> None:
    home = tmp_path / "not-a-folder"
    home.write_text("oops\n", encoding="utf-8")
    talk = tmp_path / "talk.srt"
    talk.write_text(SRT, encoding="utf-8")
    for argv in (["list"], ["add", str(talk)], ["backup", str(tmp_path / "b.db")], []):
        one_line(ponder(home, *argv), "PONDER_HOME", "is a file", "folder")
    assert home.read_text(encoding="utf-8") == "oops\n"


def test_ponder_db_that_is_a_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "ponder.db").mkdir(parents=True)
    one_line(ponder(home, "backup", str(tmp_path / "b.db")), "is not a file")
    assert not (tmp_path / "b.db").exists()
    for argv in (["list"], ["cards"], []):
        one_line(ponder(home, *argv), "ponder.db", "is a folder")


def test_read_only_data_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    talk = library_with_a_card(home, tmp_path)
    before = contents(home)
    with read_only(home):
        for argv in (["list"], ["add", str(talk)], ["card", "add", "2", "--front", "q"], []):
            one_line(ponder(home, *argv), "read-only", "PONDER_HOME")
        # Getting the data out still works: a backup reads the file as it is.
        backup = ponder(home, "backup", str(tmp_path / "out.db"))
        assert backup.returncode == 0, backup
    assert contents(home) == before
    assert any("Kept?" in str(tuple(row)) for row in before)


def test_read_only_database_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    library_with_a_card(home, tmp_path)
    before = contents(home)
    with read_only(home / "ponder.db"):
        listed = ponder(home, "list")
        assert listed.returncode == 0 and "talk" in listed.stdout.lower(), listed
        line = one_line(
            ponder(home, "card", "add", "2", "--front", "New", "--back", "Card"), "read-only"
        )
        assert "ponder.db" in line
    assert contents(home) == before


# -- a full disk -----------------------------------------------------------------------------


def test_full_disk_under_the_database(small_disk: Path, tmp_path: Path) -> None:
    home = small_disk / "home"
    talk = library_with_a_card(home, tmp_path)
    before = contents(home)
    filler = fill(small_disk)
    for argv in (
        ["add", str(talk)],
        ["card", "add", "2", "--front", "More?", "--back", "No room"],
        ["export", "anki-text", str(tmp_path / "cards.txt")],
        [],  # opening the app
    ):
        one_line(ponder(home, *argv), "disk is full")
    filler.unlink()
    assert contents(home) == before
    assert ponder(home, "cards").returncode == 0


def test_full_disk_under_an_export(small_disk: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    library_with_a_card(home, tmp_path)
    fill(small_disk)
    for argv in (
        ["export", "anki-text", str(small_disk / "cards.txt")],
        ["export", "anki", str(small_disk / "cards.apkg")],
        ["export", "markdown", "2", str(small_disk / "notes.md")],
        ["backup", str(small_disk / "backup.db")],
    ):
        one_line(ponder(home, *argv), "disk is full")
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]  # nothing half written


# -- the app ---------------------------------------------------------------------------------


async def test_the_app_ends_on_a_full_disk_with_one_line_and_status_1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A write failing inside the app (here: opening help) ends it with the reason, exit 1."""
    from tui.app import PonderApp

    def disk_full(_self: PonderApp) -> None:
        error = sqlite3.OperationalError("database or disk is full")
        error.sqlite_errorcode = sqlite3.SQLITE_FULL  # type: ignore[attr-defined]
        raise error

    monkeypatch.setattr(PonderApp, "action_help", disk_full)
    app = PonderApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.call_later(app.action_help)  # as a key press would, without waiting on screens
        for _ in range(400):  # the app is exiting: poll without waiting on its screens
            if app.return_code is not None:
                break
            await asyncio.sleep(0.05)
    assert app.return_code == 1
    assert app.storage_failure is not None and "disk is full" in app.storage_failure.lower()
    app.library.close()


def test_an_error_about_some_other_file_is_not_blamed_on_the_database(tmp_path: Path) -> None:
    from core.db import storage_message

    home = tmp_path / "home"
    home.mkdir()
    elsewhere = PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "mine.txt"))
    assert storage_message(elsewhere, home / "ponder.db") is None
    other_disk = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out.txt"))
    assert storage_message(other_disk, home / "ponder.db") is None
    full = OSError(errno.ENOSPC, "No space left on device", str(home / "ponder.db-wal"))
    assert "disk is full" in (storage_message(full, home / "ponder.db") or "")
