"""Shared fixtures for the decks tests: a fake clock, a card store, a stored transcript.

Imported by the other test_decks_* modules (`from tests.test_decks_helpers import ...`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from core.config import Config
from core.db import connect
from core.library import Library
from core.models import Segment, Source, Transcript
from decks.models import to_db_time
from decks.repository import CardStore

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 09:00 UTC


class FakeClock:
    """A settable "now" that also drives core.clock.now() through PONDER_FAKE_NOW."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, start: datetime = START) -> None:
        self._monkeypatch = monkeypatch
        self.set(start)

    def __call__(self) -> datetime:
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = moment.astimezone(UTC)
        self._monkeypatch.setenv("PONDER_FAKE_NOW", self.moment.isoformat())

    def advance(self, **delta: float) -> datetime:
        self.set(self.moment + timedelta(**delta))
        return self.moment


class FakeTimer:
    """A monotonic timer the test moves by hand (answer durations)."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def utc_local() -> Iterator[None]:
    """Local time = UTC, so the 4 am rollover is 04:00 UTC in these tests."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch, utc_local: None) -> FakeClock:
    return FakeClock(monkeypatch)


@pytest.fixture
def store(ponder_home: object) -> Iterator[CardStore]:
    card_store = CardStore(connect())
    yield card_store
    card_store.close()


@pytest.fixture
def config() -> Config:
    return Config()


@pytest.fixture
def source_id(store: CardStore) -> int:
    library = Library(store.conn)
    segments = [Segment(f"segment {i}", i * 5.0, i * 5.0 + 5, None) for i in range(10)]
    transcript = Transcript(Source(title="Memory talk", origin="talk.srt"), segments)
    return library.add(transcript).source_id


def force_state(store: CardStore, card_id: int, **columns: object) -> None:
    """Put a card into a given scheduling state directly (test setup only)."""
    values = {
        key: to_db_time(value) if isinstance(value, datetime) else value
        for key, value in columns.items()
    }
    assignments = ", ".join(f"{key} = ?" for key in values)
    store.conn.execute(f"UPDATE cards SET {assignments} WHERE id = ?", (*values.values(), card_id))


def make_review(
    store: CardStore,
    card_id: int,
    now: datetime,
    *,
    due_in_days: float = -1,
    stability: float = 10.0,
    difficulty: float = 5.0,
    lapses: int = 0,
    reps: int = 3,
) -> None:
    """A review-state card last seen `stability` days ago, due `due_in_days` from now."""
    force_state(
        store,
        card_id,
        state=2,
        step=None,
        stability=stability,
        difficulty=difficulty,
        due=now + timedelta(days=due_in_days),
        last_review=now - timedelta(days=stability),
        reps=reps,
        lapses=lapses,
    )


def test_fake_clock_drives_core_clock(fake_clock: FakeClock) -> None:
    from core import clock

    assert clock.now() == START
    fake_clock.advance(hours=5)
    assert clock.now() == START + timedelta(hours=5)
    assert os.environ["PONDER_FAKE_NOW"].startswith("2026-03-02T14:00")
