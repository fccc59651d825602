"""`o` on a transcript made from an audio/video file plays that file from the moment.

The players are fake `mpv`/`vlc` scripts put first on PATH that write their argv to a
file, so the test sees exactly what a real player would have been asked to do.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
from pathlib import Path

import pytest

from core.db import _statements, connect, migrations
from core.library import Library
from core.player import PLAYERS, find_player, player_command
from decks.models import SourceRef
from decks.repository import CardStore
from tests.test_decks_helpers import FakeClock
from tests.test_review_screen import reviewing
from tests.tui_helpers import add_transcript, make_segments, study_screen, wait_until
from tui.screens.card_source import CardSourceScreen

pytest_plugins = ["tests.test_decks_helpers"]


def fake_player(folder: Path, name: str) -> Path:
    """A `name` script in `folder` that records its arguments, one per line."""
    folder.mkdir(parents=True, exist_ok=True)
    record = folder / f"{name}.argv"
    script = folder / name
    script.write_text(
        "#!/bin/sh\nPATH=/usr/bin:/bin\n"  # the tests give PATH only the fake players
        f'printf \'%s\\n\' "$@" > "{record}.tmp"\nmv "{record}.tmp" "{record}"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return record


def recorded(record: Path) -> list[str]:
    return record.read_text().splitlines()


@pytest.fixture
def media(tmp_path: Path) -> Path:
    path = tmp_path / "talks" / "lecture one.mp3"
    path.parent.mkdir()
    path.write_bytes(b"ID3 not really audio, players are fake here")
    return path


@pytest.fixture
def only_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Set PATH to just the given folder (no real mpv or vlc can be found)."""

    def set_path(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv("PATH", str(folder))
        return folder

    return set_path


# -- the player commands --------------------------------------------------------------


def test_first_installed_player_wins_in_order() -> None:
    assert PLAYERS == ("mpv", "vlc")
    assert find_player(lambda name: f"/bin/{name}" if name == "vlc" else None) == (
        "vlc",
        "/bin/vlc",
    )
    assert find_player(lambda name: f"/bin/{name}") == ("mpv", "/bin/mpv")
    assert find_player(lambda name: None) is None


def test_each_players_start_time_option() -> None:
    path = Path("/m/-odd name.mp4")
    mpv = player_command("mpv", "/bin/mpv", path, 83.25)
    assert "--start=83.250" in mpv and mpv[-2:] == ["--", str(path)]
    vlc = player_command("vlc", "/bin/vlc", path, 83.25)
    assert "--start-time=83.250" in vlc and vlc[-1] == str(path)
    assert "--start=0.000" in player_command("mpv", "mpv", path, -4.0)


# -- the study screen ---------------------------------------------------------------------


async def test_o_in_study_plays_the_media_file_from_the_cursor(
    tmp_path: Path, media: Path, only_path
) -> None:
    record = fake_player(only_path(tmp_path / "bin"), "mpv")
    async with study_screen(make_segments(40), media_path=str(media)) as (_, pilot, *_rest):
        await pilot.press("j", "j", "j", "o")  # segment 3 starts at 9 s
        await wait_until(pilot, record.exists, timeout=30)
        argv = recorded(record)
        assert "--start=9.000" in argv and argv[-1] == str(media)
        notes = [str(n.message) for n in pilot.app._notifications]
        assert any("lecture one.mp3 in mpv from 0:00:09" in note for note in notes), notes


async def test_a_second_o_stops_the_first_player(tmp_path: Path, media: Path, only_path) -> None:
    """One moment at a time: the player Ponder started before is stopped, not doubled."""
    folder = only_path(tmp_path / "bin")
    script = folder / "mpv"
    script.write_text(
        f'#!/bin/sh\nPATH=/usr/bin:/bin\necho $$ >> "{folder}/pids"\nexec sleep 120\n'
    )
    script.chmod(0o755)
    pids = folder / "pids"

    def started(count: int) -> bool:
        return pids.exists() and len(pids.read_text().split()) == count

    try:
        async with study_screen(make_segments(40), media_path=str(media)) as (_, pilot, *_):
            await pilot.press("o")
            await wait_until(pilot, lambda: started(1), timeout=30)
            await pilot.press("j", "o")
            await wait_until(pilot, lambda: started(2), timeout=30)
            first, second = (int(pid) for pid in pids.read_text().split())
            await wait_until(pilot, lambda: not alive(first), timeout=30)
            assert alive(second)
    finally:  # the fake players never outlive the test
        for pid in pids.read_text().split() if pids.exists() else []:
            if alive(int(pid)):
                os.kill(int(pid), signal.SIGTERM)


def alive(pid: int) -> bool:
    """Whether the process runs (a stopped child not yet reaped counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def test_vlc_when_mpv_is_missing(tmp_path: Path, media: Path, only_path) -> None:
    record = fake_player(only_path(tmp_path / "bin"), "vlc")
    async with study_screen(make_segments(40), media_path=str(media)) as (_, pilot, *_rest):
        await pilot.press("j", "o")
        await wait_until(pilot, record.exists, timeout=30)
        argv = recorded(record)
        assert "--start-time=3.000" in argv and argv[-1] == str(media)


async def test_no_player_says_which_it_looked_for(tmp_path: Path, media: Path, only_path) -> None:
    only_path(tmp_path / "empty")
    async with study_screen(make_segments(10), media_path=str(media)) as (_, pilot, *_):
        await pilot.press("o")
        await wait_until(pilot, lambda: len(pilot.app._notifications) > 0)
        (note,) = [str(n.message) for n in pilot.app._notifications]
        assert "looked for mpv and vlc" in note and "\n" not in note


async def test_a_moved_media_file_is_one_line_and_the_transcript_still_works(
    tmp_path: Path, media: Path, only_path
) -> None:
    record = fake_player(only_path(tmp_path / "bin"), "mpv")
    media.rename(tmp_path / "elsewhere.mp3")
    async with study_screen(make_segments(10), media_path=str(media)) as (_, pilot, screen, *_):
        await pilot.press("o")
        await wait_until(pilot, lambda: len(pilot.app._notifications) > 0)
        (note,) = [str(n.message) for n in pilot.app._notifications]
        assert "moved or deleted" in note and str(media) in note and "\n" not in note
        assert not record.exists()
        await pilot.press("j", "j")
        assert screen.transcript_view.cursor == 2


# -- review and its source view -----------------------------------------------------------


async def test_o_in_review_and_in_the_source_view_plays_from_the_cards_moment(
    library: Library, fake_clock: FakeClock, tmp_path: Path, media: Path, only_path
) -> None:
    record = fake_player(only_path(tmp_path / "bin"), "mpv")
    source_id = add_transcript(library, make_segments(30), title="Talk", media_path=str(media))
    CardStore(library.conn).create_note(
        "basic", "q", "a", source=SourceRef(source_id, first_segment=10, last_segment=11)
    )
    async with reviewing(library) as review:
        assert "o video" in review.text()
        await review.pilot.press("o")
        await wait_until(review.pilot, record.exists, timeout=30)
        assert "--start=30.000" in recorded(record)
        record.unlink()
        await review.pilot.press("s")
        await wait_until(review.pilot, lambda: isinstance(review.app.screen, CardSourceScreen))
        await review.pilot.press("o")
        await wait_until(review.pilot, record.exists, timeout=30)
        argv = recorded(record)
        assert "--start=30.000" in argv and argv[-1] == str(media)


# -- the library remembers the file -------------------------------------------------------


def test_migration_keeps_transcribed_sources_media_file(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path, isolation_level=None)
    for version, _name, sql in migrations():
        if version > 6:
            break
        for statement in _statements(sql):
            old.execute(statement)
    old.execute("PRAGMA user_version = 6")
    old.executemany(
        "INSERT INTO sources (id, title, origin, kind, format, content_hash, imported_at,"
        " segment_count) VALUES (?, ?, ?, ?, ?, ?, '2025-01-01T00:00:00+00:00', 1)",
        [
            (1, "Heard", "/talks/a.mp3", "file", "whisper", "h1"),
            (2, "Read", "/talks/b.srt", "file", "srt", "h2"),
            (3, "Watched", "https://youtu.be/abcdefghijk", "youtube", "json3", "h3"),
        ],
    )
    old.execute("INSERT INTO segments (source_id, idx, start, text) VALUES (1, 0, 0.0, 'hi')")
    old.close()
    conn = connect(path)
    try:
        library = Library(conn)
        heard, read, watched = (library.source(i) for i in (1, 2, 3))
        assert heard is not None and heard.media_path == "/talks/a.mp3"
        assert read is not None and read.media_path is None
        assert watched is not None and watched.media_path is None
        assert library.segments(1)[0].text == "hi"
    finally:
        conn.close()
