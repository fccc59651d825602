"""The SQLite library, migrations, config and clock: the ground everything stands on."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core import clock, config
from core.db import connect, migrations
from core.demo import ensure_demo
from core.library import Library
from core.models import Highlight, Segment, Source, Transcript


def _transcript(text: str = "hello", video_id: str | None = None) -> Transcript:
    source = Source(title="T", origin="t.srt", video_id=video_id)
    return Transcript(source, [Segment(text, 0.0, 2.0, "A"), Segment("world", 2.0, 4.5)])


def test_connection_is_wal_with_foreign_keys(ponder_home: Path) -> None:
    conn = connect()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations()[-1][0]
    assert (ponder_home / "ponder.db").exists()


def test_migrations_are_numbered_and_idempotent(ponder_home: Path) -> None:
    versions = [version for version, _name, _sql in migrations()]
    assert versions == sorted(set(versions)) and versions[0] == 1
    first = connect()
    first.close()
    again = connect()  # a second open applies nothing and fails on nothing
    assert again.execute("PRAGMA user_version").fetchone()[0] == versions[-1]


def test_newer_database_is_refused(ponder_home: Path) -> None:
    conn = connect()
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    from core.db import DatabaseError

    with pytest.raises(DatabaseError, match="newer than this Ponder"):
        connect()


def test_add_is_deduplicated_by_content_and_video(library: Library) -> None:
    first = library.add(_transcript())
    again = library.add(_transcript())
    assert again.source_id == first.source_id and again.existed and not first.existed
    video = library.add(_transcript("other", video_id="dQw4w9WgXcQ"))
    same_video = library.add(_transcript("changed text", video_id="dQw4w9WgXcQ"))
    assert same_video.existed and same_video.source_id == video.source_id
    assert len(library.sources()) == 2


def test_round_trip_keeps_segments_and_counts(library: Library) -> None:
    source_id = library.add(_transcript("[bold]x[/] \x1b[31mred")).source_id
    stored = library.transcript(source_id)
    assert stored is not None
    assert stored.segments[0].text == "[bold]x[/] \x1b[31mred"
    assert stored.segments[0].speaker == "A" and stored.segments[1].speaker is None
    assert stored.source.segment_count == 2 and stored.source.duration_s == 4.5


def test_remove_cascades_to_highlights(library: Library) -> None:
    source_id = library.add(_transcript()).source_id
    library.add_highlight(Highlight(source_id, 0, 1, 2, 3, note="n"))
    library.set_cursor(source_id, 1)
    assert library.remove(source_id)
    assert library.highlights(source_id) == []
    count = library.conn.execute("SELECT COUNT(*) FROM segments").fetchone()[0]
    assert count == 0
    assert not library.remove(source_id)


def test_failed_transaction_stores_nothing(library: Library) -> None:
    bad = Transcript(Source(title="T", origin="x"), [Segment("a"), Segment(None)])  # type: ignore[arg-type]
    with pytest.raises(sqlite3.IntegrityError):
        library.add(bad)
    assert library.sources() == []


def test_demo_is_seeded_once(library: Library) -> None:
    demo_id = ensure_demo(library)
    assert demo_id is not None
    transcript = library.transcript(demo_id)
    assert transcript is not None and transcript.source.kind == "demo"
    assert len({s.speaker for s in transcript.segments}) == 2
    library.remove(demo_id)
    assert ensure_demo(library) is None
    assert library.sources() == []


def test_config_round_trip_and_permissions(ponder_home: Path) -> None:
    cfg = config.load()
    assert cfg.new_per_day == 20 and cfg.day_rollover_hour == 4
    cfg.api_key = "sk-test"
    path = config.save(cfg)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert config.load().api_key == "sk-test"


def test_config_rejects_bad_values_naming_the_setting(ponder_home: Path) -> None:
    config.update("desired_retention", 0.85)
    with pytest.raises(config.ConfigError, match=r"desired_retention.*0\.70 to 0\.99"):
        config.update("desired_retention", 1.5)
    with pytest.raises(config.ConfigError, match="day_rollover_hour"):
        config.update("day_rollover_hour", 24)
    with pytest.raises(config.ConfigError, match="learning_steps"):
        config.update("learning_steps", ["soon"])
    assert config.load().desired_retention == 0.85


def test_config_keeps_user_comments(ponder_home: Path) -> None:
    path = config.save(config.Config())
    path.write_text("# my note\n" + path.read_text())
    config.update("new_per_day", 5)
    assert "# my note" in path.read_text()
    assert config.load().new_per_day == 5


def test_fake_clock_and_study_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PONDER_FAKE_NOW", "2026-03-10T12:00:00+00:00")
    assert clock.now() == datetime(2026, 3, 10, 12, tzinfo=UTC)
    monkeypatch.setenv("TZ", "UTC")
    import time

    time.tzset()
    try:
        early = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
        assert clock.study_day_start(early, 4) == datetime(2026, 3, 9, 4, tzinfo=UTC)
        late = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)
        assert clock.study_day_start(late, 4) == datetime(2026, 3, 10, 4, tzinfo=UTC)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_keymap_setting_is_validated(ponder_home: Path) -> None:
    config.update("keymap", {"study.search": "ctrl+f"})
    assert config.load().keymap == {"study.search": "ctrl+f"}
    with pytest.raises(config.ConfigError, match="keymap"):
        config.update("keymap", {"study.search": ""})
