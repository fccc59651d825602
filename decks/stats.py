"""Study statistics: the figures and numbers of `ponder stats` and the stats screen.

Read-only SQL over the decks tables, shaped for speed on large collections (100,000 cards,
a million reviews in well under a second): every per-day figure is a set of range counts
over an index, one range per *study day*. Study days start at the configured local
rollover hour; their boundaries are computed in Python (so daylight-saving changes and
half-hour time zones are exact) and compared as the column holds them: the cards' text times
have one fixed format (`decks.models.to_db_time`), the review log's are integer
microseconds (`decks.models.to_epoch_us`).

Reviews are aggregated through a covering index on review_log (reviewed_us first), so a
day's counts never touch the table's rows (which carry the undo state).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from core import clock
from decks.models import to_db_time, to_epoch_us

FORECAST_DAYS = 30
HEATMAP_DAYS = 365
HEATMAP_LEVELS = 5
"""A heatmap day is shaded in five levels: none, then quartiles of the busy days."""
RETENTION_WEEKS = 52
# Upper edges (days) of the stability buckets; the last bucket is open-ended.
STABILITY_EDGES = (1, 3, 7, 14, 30, 90, 180, 365, 730)

STATS_INDEX = "review_log_stats"
STATS_INDEX_COLUMNS = ("reviewed_us", "prior_state", "rating", "duration_ms", "card_id")


class UnknownDeck(LookupError):
    """No deck by that name; the message names it."""


# -- results ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DayCount:
    day: date
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "count": self.count}


@dataclass(frozen=True, slots=True)
class WeekRetention:
    """Reviews of cards in the Review state during the 7 study days from `week_start`."""

    week_start: date
    reviews: int
    passed: int

    @property
    def retention(self) -> float | None:
        return self.passed / self.reviews if self.reviews else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "week_start": self.week_start.isoformat(),
            "reviews": self.reviews,
            "passed": self.passed,
            "retention": self.retention,
        }


@dataclass(frozen=True, slots=True)
class StabilityBucket:
    """Cards whose stability (days until recall drops to 90 %) is in [low, high)."""

    low_days: float
    high_days: float | None
    count: int

    @property
    def label(self) -> str:
        def days(value: float) -> str:
            if value >= 365 and value % 365 == 0:
                return f"{int(value // 365)}y"
            return f"{value:g}d"

        if self.high_days is None:
            return f">= {days(self.low_days)}"
        if self.low_days == 0:
            return f"< {days(self.high_days)}"
        return f"{days(self.low_days)}-{days(self.high_days)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "low_days": self.low_days,
            "high_days": self.high_days,
            "count": self.count,
        }


@dataclass(frozen=True, slots=True)
class CardCounts:
    """Cards by state; suspended cards are counted only under `suspended`."""

    new: int = 0
    learning: int = 0
    review: int = 0
    relearning: int = 0
    suspended: int = 0

    @property
    def total(self) -> int:
        return self.new + self.learning + self.review + self.relearning + self.suspended

    def to_dict(self) -> dict[str, int]:
        return {**asdict(self), "total": self.total}


@dataclass(frozen=True, slots=True)
class Stats:
    """Everything `ponder stats` prints and the stats screen draws."""

    deck: str | None  # None = all decks
    generated_at: datetime
    today: date  # the current study day
    forecast: list[DayCount]  # next FORECAST_DAYS study days; day 0 includes overdue cards
    heatmap: list[DayCount]  # reviews per study day, oldest first, ending today
    retention: list[WeekRetention]  # oldest first; the last week ends today
    stability: list[StabilityBucket]
    cards: CardCounts
    streak: int  # consecutive study days with reviews, ending today (or yesterday)
    reviews_today: int
    seconds_today: float
    average_seconds: float | None  # per review, over the heatmap period
    reviews_past_year: int
    true_retention: float | None  # over the heatmap period
    query_ms: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def due_today(self) -> int:
        return self.forecast[0].count if self.forecast else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "deck": self.deck,
            "generated_at": self.generated_at.isoformat(),
            "today": self.today.isoformat(),
            "due_today": self.due_today,
            "reviews_today": self.reviews_today,
            "seconds_today": self.seconds_today,
            "streak": self.streak,
            "average_seconds": self.average_seconds,
            "reviews_past_year": self.reviews_past_year,
            "true_retention": self.true_retention,
            "cards": self.cards.to_dict(),
            "forecast": [day.to_dict() for day in self.forecast],
            "heatmap": [day.to_dict() for day in self.heatmap],
            "retention": [week.to_dict() for week in self.retention],
            "stability": [bucket.to_dict() for bucket in self.stability],
        }


# -- study days --------------------------------------------------------------------------------


def level_edges(counts: Sequence[int]) -> list[int]:
    """Upper edges of levels 1-3 (quartiles of the non-zero counts); level 4 above them.

    The one shading rule for a day of the heatmap, used by the stats screen and `ponder stats`.
    """
    busy = sorted(count for count in counts if count > 0)
    if not busy:
        return [1, 1, 1]
    return [busy[min(len(busy) - 1, (len(busy) * q) // 4)] for q in (1, 2, 3)]


def level_of(count: int, edges: Sequence[int]) -> int:
    """0 for no reviews, else 1-4 by quartile."""
    if count <= 0:
        return 0
    for index, edge in enumerate(edges, start=1):
        if count <= edge:
            return index
    return HEATMAP_LEVELS - 1


def study_day_starts(first: datetime, count: int) -> list[datetime]:
    """UTC starts of `count + 1` consecutive study days from `first` (a study day start).

    Steps in local wall-clock time, so a day with a daylight-saving change is 23 or 25 hours.
    """
    local = clock.to_utc(first).astimezone().replace(tzinfo=None)
    return [
        clock.to_utc((local + timedelta(days=offset)).astimezone()) for offset in range(count + 1)
    ]


def study_date(start: datetime) -> date:
    """The calendar date a study day is named by (its local start date)."""
    return clock.to_utc(start).astimezone().date()


def day_label(day: date, today: date) -> str:
    """A study day named one way everywhere: "today", "tomorrow", or its date. Between
    midnight and the rollover hour the calendar has moved on but the study day has not,
    so the next study day is called "tomorrow", never by the calendar's date of now."""
    if day == today:
        return "today"
    if day == today + timedelta(days=1):
        return "tomorrow"
    return day.strftime("%a %d %b")


def before_rollover(stats: Stats) -> bool:
    """Whether the calendar has passed midnight but the study day has not yet rolled over."""
    return clock.to_utc(stats.generated_at).astimezone().date() != stats.today


def study_day_note(stats: Stats, rollover_hour: int) -> str | None:
    """Before the rollover hour, which study day "today" is (None when it is the
    calendar's today too)."""
    if not before_rollover(stats):
        return None
    return (
        f"today is the study day of {stats.today.strftime('%a %d %b')} until {rollover_hour:02d}:00"
    )


# -- deck selection ----------------------------------------------------------------------------


def resolve_deck(conn: sqlite3.Connection, deck: str) -> tuple[str, list[int]]:
    """The deck's stored name and the ids of it and its subdecks; UnknownDeck if none."""
    from decks.repository import CardStore

    store = CardStore(conn)
    found = store.deck_by_name(deck)
    if found is None:
        raise UnknownDeck(f"No deck named {deck.strip()!r}.")
    return found.name, store.subdeck_ids(found.id)


def deck_ids(conn: sqlite3.Connection, deck: str) -> list[int]:
    """Ids of the deck named `deck` (any case) and all its subdecks; UnknownDeck if none."""
    return resolve_deck(conn, deck)[1]


def ensure_stats_index(conn: sqlite3.Connection) -> None:
    """Make sure review_log has an index covering the stats columns (reviewed_us first).

    Without it each day's counts read whole log rows (several times slower). Created once,
    if no existing index already covers these columns.
    """
    for row in conn.execute("PRAGMA index_list(review_log)").fetchall():
        columns = [info[2] for info in conn.execute(f"PRAGMA index_info('{row[1]}')")]
        if columns[:1] == ["reviewed_us"] and set(STATS_INDEX_COLUMNS) <= set(columns):
            return
    columns = ", ".join(STATS_INDEX_COLUMNS)
    # A read-only or busy database: the figures are still right, only slower.
    with contextlib.suppress(sqlite3.OperationalError):
        conn.execute(f"CREATE INDEX IF NOT EXISTS {STATS_INDEX} ON review_log({columns})")


# -- review history (bulk, read-only) ---------------------------------------------------------


def review_history(
    conn: sqlite3.Connection, deck_ids: list[int] | None = None
) -> list[tuple[int, str, int, int]]:
    """(card_id, reviewed_us, rating, prior_state) of every review, in no set order.

    For the optimiser and rescheduling: only the columns they need, read through the
    covering stats index (reading whole log rows in time order costs a random table
    access per review, minutes on a million reviews).
    """
    ensure_stats_index(conn)
    sql = "SELECT card_id, reviewed_us, rating, prior_state FROM review_log AS r"
    params: list[int] = []
    if deck_ids is not None:
        if not deck_ids:
            return []
        deck_sql, params = _deck_filter(deck_ids, "+r.card_id")
        sql += " WHERE 1" + deck_sql
    cursor = conn.cursor()
    cursor.row_factory = None
    return cursor.execute(sql, params).fetchall()


# -- the queries -------------------------------------------------------------------------------


def _ranges_cte(starts: list[datetime], *, log: bool = False) -> tuple[str, list[Any]]:
    """Day ranges (i, lo, hi) as the column compared holds times: the review log's
    integer microseconds (`log`), or the cards table's text."""
    values = ", ".join("(?, ?, ?)" for _ in starts[:-1])
    params: list[Any] = []
    convert = to_epoch_us if log else to_db_time
    texts = [convert(moment) for moment in starts]
    for index in range(len(starts) - 1):
        params += [index, texts[index], texts[index + 1]]
    return f"d(i, lo, hi) AS (VALUES {values})", params


def _deck_filter(ids: list[int] | None, column: str) -> tuple[str, list[int]]:
    if ids is None:
        return "", []
    marks = ", ".join("?" for _ in ids)
    return f" AND {column} IN (SELECT id FROM cards WHERE deck_id IN ({marks}))", list(ids)


def _daily_reviews(
    conn: sqlite3.Connection, starts: list[datetime], ids: list[int] | None
) -> list[tuple[int, int, int, int, int]]:
    """(reviews, review-state reviews, passed, duration ms, timed reviews) per study day."""
    cte, params = _ranges_cte(starts, log=True)
    # The unary + keeps SQLite from driving the search by card (one scan per card per day).
    deck_sql, deck_params = _deck_filter(ids, "+r.card_id")
    sql = (
        f"WITH {cte} SELECT d.i, (SELECT json_array(COUNT(*), SUM(r.prior_state = 2),"
        " SUM(r.prior_state = 2 AND r.rating > 1), SUM(r.duration_ms), COUNT(r.duration_ms))"
        " FROM review_log AS r WHERE r.reviewed_us >= d.lo AND r.reviewed_us < d.hi"
        f"{deck_sql}) FROM d ORDER BY d.i"
    )
    import json

    result = []
    for _index, packed in conn.execute(sql, [*params, *deck_params]):
        values = json.loads(packed)
        result.append(tuple(int(value or 0) for value in values))
    return result  # type: ignore[return-value]


def _count_reviews(
    conn: sqlite3.Connection, starts: list[datetime], ids: list[int] | None
) -> list[int]:
    """Reviews per study day only (cheap: an index range count per day)."""
    cte, params = _ranges_cte(starts, log=True)
    deck_sql, deck_params = _deck_filter(ids, "+r.card_id")
    sql = (
        f"WITH {cte} SELECT d.i, (SELECT COUNT(*) FROM review_log AS r"
        f" WHERE r.reviewed_us >= d.lo AND r.reviewed_us < d.hi{deck_sql}) FROM d ORDER BY d.i"
    )
    return [int(count) for _index, count in conn.execute(sql, [*params, *deck_params])]


def _forecast(conn: sqlite3.Connection, starts: list[datetime], ids: list[int] | None) -> list[int]:
    cte, params = _ranges_cte(starts)
    params[1] = ""  # day 0 includes everything overdue
    if ids is None:
        deck_sql, deck_params = "", []
    else:
        deck_sql = f" AND c.deck_id IN ({', '.join('?' for _ in ids)})"
        deck_params = list(ids)
    sql = (
        f"WITH {cte} SELECT d.i, (SELECT COUNT(*) FROM cards AS c WHERE c.state IN (1, 2, 3)"
        f" AND c.suspended = 0 AND c.due >= d.lo AND c.due < d.hi{deck_sql}) FROM d ORDER BY d.i"
    )
    return [int(count) for _index, count in conn.execute(sql, [*params, *deck_params])]


def _cards(
    conn: sqlite3.Connection, ids: list[int] | None
) -> tuple[CardCounts, list[StabilityBucket]]:
    """Cards by state and the stability buckets, in one pass over the cards."""
    cases = " ".join(
        f"WHEN stability < {edge} THEN {index}" for index, edge in enumerate(STABILITY_EDGES)
    )
    where = "" if ids is None else f" WHERE deck_id IN ({', '.join('?' for _ in ids)})"
    counts = {0: 0, 1: 0, 2: 0, 3: 0}
    suspended = 0
    in_bucket: dict[int, int] = {}
    rows = conn.execute(
        "SELECT state, suspended, CASE WHEN stability IS NULL OR state = 0 THEN NULL"
        f" {cases} ELSE {len(STABILITY_EDGES)} END AS bucket, COUNT(*)"
        f" FROM cards{where} GROUP BY state, suspended, bucket",
        ids or [],
    )
    for state, is_suspended, bucket, count in rows:
        if is_suspended:
            suspended += count
            continue
        counts[int(state)] = counts.get(int(state), 0) + count
        if bucket is not None:
            in_bucket[int(bucket)] = in_bucket.get(int(bucket), 0) + count
    buckets = []
    low: float = 0
    for index, edge in enumerate((*STABILITY_EDGES, None)):
        buckets.append(StabilityBucket(low, edge, in_bucket.get(index, 0)))
        low = edge or low
    return CardCounts(counts[0], counts[1], counts[2], counts[3], suspended), buckets


def _streak(
    conn: sqlite3.Connection,
    daily: list[int],
    first_start: datetime,
    ids: list[int] | None,
) -> int:
    """Consecutive days with reviews ending today; today may still be empty."""
    days = list(daily)
    if days and days[-1] == 0:
        days.pop()  # today is not over: an unreviewed today does not break the streak
    streak = 0
    for count in reversed(days):
        if count == 0:
            return streak
        streak += 1
    # Every day in the window had reviews: look further back, in growing chunks (a streak
    # usually ends soon after the window starts; counting a whole year would waste time).
    start = first_start
    for chunk in (28, 91, *([HEATMAP_DAYS] * 100)):
        local = clock.to_utc(start).astimezone().replace(tzinfo=None)
        earlier = clock.to_utc((local - timedelta(days=chunk)).astimezone())
        counts = _count_reviews(conn, study_day_starts(earlier, chunk), ids)
        for count in reversed(counts):
            if count == 0:
                return streak
            streak += 1
        start = earlier
    return streak


def compute_stats(
    conn: sqlite3.Connection,
    deck: str | None = None,
    *,
    now: datetime | None = None,
    rollover_hour: int,
    forecast_days: int = FORECAST_DAYS,
    heatmap_days: int = HEATMAP_DAYS,
    retention_weeks: int = RETENTION_WEEKS,
) -> Stats:
    """All the figures for one deck (with its subdecks) or, with `deck=None`, all decks."""
    import time

    started = time.perf_counter()
    moment = clock.to_utc(now or clock.now())
    ids: list[int] | None = None
    if deck:
        deck, ids = resolve_deck(conn, deck)
    ensure_stats_index(conn)

    today_start = clock.study_day_start(moment, rollover_hour)
    # Past days: heatmap_days ending with today (inclusive).
    local_today = clock.to_utc(today_start).astimezone().replace(tzinfo=None)
    past_first = clock.to_utc((local_today - timedelta(days=heatmap_days - 1)).astimezone())
    past = study_day_starts(past_first, heatmap_days)
    daily = _daily_reviews(conn, past, ids)
    heatmap = [DayCount(study_date(past[i]), row[0]) for i, row in enumerate(daily)]

    retention: list[WeekRetention] = []
    weeks = min(retention_weeks, heatmap_days // 7)
    for week in range(weeks):
        end = len(daily) - (weeks - 1 - week) * 7
        chunk = daily[end - 7 : end]
        retention.append(
            WeekRetention(
                study_date(past[end - 7]), sum(r[1] for r in chunk), sum(r[2] for r in chunk)
            )
        )

    future = study_day_starts(today_start, forecast_days)
    forecast_counts = _forecast(conn, future, ids)
    forecast = [DayCount(study_date(future[i]), count) for i, count in enumerate(forecast_counts)]

    cards, buckets = _cards(conn, ids)
    total_reviews = sum(row[0] for row in daily)
    review_state = sum(row[1] for row in daily)
    passed = sum(row[2] for row in daily)
    timed = sum(row[4] for row in daily)
    duration = sum(row[3] for row in daily)
    today_row = daily[-1] if daily else (0, 0, 0, 0, 0)
    return Stats(
        deck=deck,
        generated_at=moment,
        today=study_date(today_start),
        forecast=forecast,
        heatmap=heatmap,
        retention=retention,
        stability=buckets,
        cards=cards,
        streak=_streak(conn, [day.count for day in heatmap], past_first, ids),
        reviews_today=today_row[0],
        seconds_today=today_row[3] / 1000,
        average_seconds=(duration / timed / 1000) if timed else None,
        reviews_past_year=total_reviews,
        true_retention=(passed / review_state) if review_state else None,
        query_ms=(time.perf_counter() - started) * 1000,
    )
