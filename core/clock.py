"""The one place Ponder asks for the time, so tests can simulate days.

PONDER_FAKE_NOW (ISO 8601, e.g. `2026-01-05T09:00:00+00:00`) freezes "now" for the
process. It exists only for tests and the end-to-end suite; users never need it.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta


def now() -> datetime:
    """The current time, aware, in UTC."""
    fake = os.environ.get("PONDER_FAKE_NOW")
    if fake:
        moment = datetime.fromisoformat(fake)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    return datetime.now(UTC)


def to_utc(moment: datetime) -> datetime:
    """Normalise to `datetime.timezone.utc` exactly (py-fsrs rejects other UTC zones)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def study_day_start(moment: datetime, rollover_hour: int = 4) -> datetime:
    """Start (UTC) of the study day containing `moment`: days roll over at a local hour."""
    local = to_utc(moment).astimezone()
    start = local.replace(hour=rollover_hour, minute=0, second=0, microsecond=0)
    if local < start:
        start -= timedelta(days=1)
    return start.astimezone(UTC)


def next_study_day_start(moment: datetime, rollover_hour: int = 4) -> datetime:
    return study_day_start(moment, rollover_hour) + timedelta(days=1)
