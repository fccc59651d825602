"""Migration 0010 (the compact review log) on a database written with the old schema.

The old database is built the way Ponder wrote it before: migrations up to 0009, cards
changed and log rows inserted as the old `record_review` did (times as text, the prior
state as JSON). A twin database gets the same reviews through today's `record_review`.
After migrating, the old one must hold exactly the twin's rows, give the same stats and
optimiser input, and undo every review back to the exact prior state the JSON held.
"""

from __future__ import annotations

import json
import random
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fsrs import Rating

from core.config import Config
from core.db import _statements as statements
from core.db import connect, migrations
from decks.models import Card, NoteKind, from_db_time, to_db_time
from decks.optimize import review_records
from decks.repository import CardStore
from decks.scheduling import review, settings_for
from decks.stats import compute_stats

COMPACT = 10  # the migration under test
START = datetime(2025, 3, 1, 8, 15, 7, 123456, tzinfo=UTC)
CARD_COLUMNS = (
    "state",
    "step",
    "stability",
    "difficulty",
    "due",
    "last_review",
    "reps",
    "lapses",
    "buried_until",
)


def _old_database(path: Path) -> sqlite3.Connection:
    """A database at the schema just before the compact log (as an older Ponder left it)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    for version, _name, sql in migrations():
        if version >= COMPACT:
            break
        for statement in statements(sql):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {version}")
    return conn


def _old_record_review(
    conn: sqlite3.Connection,
    before: Card,
    after: Card,
    rating: int,
    at: datetime,
    ms: int,
    answer: str | None,
) -> None:
    """What `CardStore.record_review` wrote before migration 0010."""
    stamp = to_db_time(at)
    last = None if after.last_review is None else to_db_time(after.last_review)
    conn.execute("BEGIN")
    conn.execute(
        "UPDATE cards SET state = ?, step = ?, stability = ?, difficulty = ?, due = ?,"
        " last_review = ?, reps = ?, lapses = ?, buried_until = NULL, modified_at = ?"
        " WHERE id = ?",
        (
            int(after.state),
            after.step,
            after.stability,
            after.difficulty,
            to_db_time(after.due),
            last,
            after.reps,
            after.lapses,
            stamp,
            before.id,
        ),
    )
    conn.execute(
        "INSERT INTO review_log (card_id, rating, reviewed_at, duration_ms, prior_state,"
        " state_before, answer_text) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            before.id,
            rating,
            stamp,
            ms,
            int(before.state),
            json.dumps(before.scheduling_state()),
            answer,
        ),
    )
    conn.execute("COMMIT")


def _card_columns(conn: sqlite3.Connection, card_id: int) -> dict:
    row = conn.execute(
        f"SELECT {', '.join(CARD_COLUMNS)} FROM cards WHERE id = ?", (card_id,)
    ).fetchone()
    return dict(zip(CARD_COLUMNS, tuple(row), strict=True))


@pytest.fixture
def histories(tmp_path: Path, ponder_home: Path) -> tuple[Path, Path]:
    """(old-schema database, twin written by today's code), same cards, same reviews."""
    old_path, twin_path = tmp_path / "old.db", tmp_path / "twin.db"
    old_conn = _old_database(old_path)
    old, twin = CardStore(old_conn), CardStore(connect(twin_path))
    for store in (old, twin):
        for i in range(12):
            kind = NoteKind.REVERSED if i % 4 == 0 else NoteKind.BASIC
            store.create_note(kind, f"q{i}", f"a{i}", deck=f"D{i % 3}", now=START)
    scheduler = settings_for(None, Config()).scheduler()
    rng = random.Random(12)
    ids = [row[0] for row in old_conn.execute("SELECT id FROM cards ORDER BY id")]
    moment = START
    for step in range(160):
        card_id = rng.choice(ids)
        moment += timedelta(hours=rng.uniform(1, 40), microseconds=rng.randrange(1_000_000))
        if step % 37 == 5:  # buried, then answered anyway: the prior state has buried_until
            for store in (old, twin):
                store.bury([card_id], moment + timedelta(hours=3, microseconds=17))
        if step % 53 == 9:  # forgotten: reviewed before, last_review gone
            for store in (old, twin):
                store.reset_card([card_id], now=moment - timedelta(microseconds=3))
        before, same = old.get_card(card_id), twin.get_card(card_id)
        assert before is not None and same is not None
        assert before.scheduling_state() == same.scheduling_state()
        rating = rng.choice((1, 2, 3, 3, 3, 4))
        after = review(scheduler, before, Rating(rating), moment).after
        ms = rng.randint(800, 20_000)
        answer = f"typed {step}" if step % 11 == 0 else None
        _old_record_review(old_conn, before, after, rating, moment, ms, answer)
        twin.record_review(before, after, rating, moment, ms, answer_text=answer)
    old.close()
    twin.close()
    return old_path, twin_path


def test_migration_keeps_every_review_exactly(histories: tuple[Path, Path]) -> None:
    old_path, twin_path = histories
    raw = sqlite3.connect(old_path)
    old_rows = raw.execute(
        "SELECT id, card_id, rating, reviewed_at, duration_ms, prior_state, state_before,"
        " answer_text FROM review_log ORDER BY id"
    ).fetchall()
    raw.close()
    assert len(old_rows) == 160

    migrated, twin = CardStore(connect(old_path)), CardStore(connect(twin_path))
    assert migrated.conn.execute("PRAGMA user_version").fetchone()[0] >= COMPACT
    # The old table's pages went back to the file system (a backup copies free pages too).
    assert migrated.conn.execute("PRAGMA freelist_count").fetchone()[0] == 0
    # The migrated rows are the rows today's code writes, column for column.
    select = "SELECT * FROM review_log ORDER BY id"
    assert [tuple(r) for r in migrated.conn.execute(select)] == [
        tuple(r) for r in twin.conn.execute(select)
    ]
    logs = list(migrated.iter_review_logs())
    assert [log.id for log in logs] == [row[0] for row in old_rows]
    by_id = {log.id: log for log in logs}
    for log_id, card_id, rating, at, ms, prior, before, answer in old_rows:
        log = by_id[log_id]
        assert (log.card_id, log.rating, log.duration_ms, log.answer_text) == (
            card_id,
            rating,
            ms,
            answer,
        )
        assert to_db_time(log.reviewed_at) == at
        assert log.state_before == json.loads(before)
        assert int(log.prior_state) == prior
    assert any(json.loads(row[6])["buried_until"] for row in old_rows)
    assert any(json.loads(row[6])["last_review"] is None and row[5] == 0 for row in old_rows)
    assert any(row[7] for row in old_rows)


def test_stats_and_optimiser_input_unchanged(histories: tuple[Path, Path]) -> None:
    old_path, twin_path = histories
    raw = sqlite3.connect(old_path)
    expected = sorted(
        (card_id, from_db_time(at), rating, prior)
        for card_id, at, rating, prior in raw.execute(
            "SELECT card_id, reviewed_at, rating, prior_state FROM review_log"
        )
    )
    raw.close()
    migrated, twin = CardStore(connect(old_path)), CardStore(connect(twin_path))
    deck_ids = [deck.id for deck in migrated.decks()]
    records = review_records(migrated, deck_ids)
    assert sorted((r.card_id, r.reviewed_at, r.rating, r.prior_state) for r in records) == (
        expected
    )
    now = START + timedelta(days=200)
    for deck in (None, "D1"):
        mine, theirs = (
            replace(compute_stats(conn, deck, now=now, rollover_hour=4), query_ms=0.0)
            for conn in (migrated.conn, twin.conn)
        )
        assert mine == theirs
    stats = compute_stats(migrated.conn, now=now, rollover_hour=4)
    assert sum(day.count for day in stats.heatmap) == len(expected)


def test_undo_after_migration_restores_each_exact_prior_state(
    histories: tuple[Path, Path],
) -> None:
    old_path, _twin = histories
    raw = sqlite3.connect(old_path)
    old_rows = raw.execute(
        "SELECT id, card_id, state_before FROM review_log ORDER BY reviewed_at DESC, id DESC"
    ).fetchall()
    raw.close()
    store = CardStore(connect(old_path))
    # Newest first, so each undo is of its card's latest review: back to the very start.
    for log_id, card_id, before in old_rows:
        store.undo_review(log_id)
        assert _card_columns(store.conn, card_id) == json.loads(before), log_id
    assert store.conn.execute("SELECT COUNT(*) FROM review_log").fetchone()[0] == 0
    assert store.conn.execute("SELECT COUNT(*) FROM cards WHERE reps > 0").fetchone()[0] == 0
