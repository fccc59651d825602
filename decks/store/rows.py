"""Rows to dataclasses and back: the one place that knows the tables' column layout."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from decks.models import (
    Card,
    CardState,
    CardView,
    Deck,
    Note,
    NoteKind,
    Preset,
    ReviewLog,
    SourceRef,
    from_db_time,
    from_epoch_us,
    normalise_tags,
    to_db_time,
    to_epoch_us,
)


def _db_time_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else to_db_time(moment)


def _scheduling_columns(card: Card) -> tuple[object, ...]:
    """state, step, stability, difficulty, due, last_review: as the cards table holds them."""
    return (
        int(card.state),
        card.step,
        card.stability,
        card.difficulty,
        to_db_time(card.due),
        _db_time_or_none(card.last_review),
    )


_VIEW_SELECT = """
SELECT c.id, c.note_id, c.ord, c.deck_id, c.state, c.step, c.stability, c.difficulty,
       c.due, c.last_review, c.reps, c.lapses, c.suspended, c.buried_until,
       c.created_at AS card_created_at, c.modified_at AS card_modified_at,
       n.guid, n.kind, n.front, n.back, n.source_id, n.source_title, n.first_segment,
       n.last_segment, n.start_s, n.highlight_id, n.created_at AS note_created_at,
       n.modified_at AS note_modified_at, d.name AS deck_name,
       (SELECT group_concat(t.tag, ' ') FROM note_tags t WHERE t.note_id = n.id) AS tags
FROM cards c JOIN notes n ON n.id = c.note_id JOIN decks d ON d.id = c.deck_id
"""


def _card_from_row(
    row: sqlite3.Row, created: str = "created_at", modified: str = "modified_at"
) -> Card:
    due = from_db_time(row["due"])
    assert due is not None
    return Card(
        id=row["id"],
        note_id=row["note_id"],
        ord=row["ord"],
        deck_id=row["deck_id"],
        state=CardState(row["state"]),
        due=due,
        step=row["step"],
        stability=row["stability"],
        difficulty=row["difficulty"],
        last_review=from_db_time(row["last_review"]),
        reps=row["reps"],
        lapses=row["lapses"],
        suspended=bool(row["suspended"]),
        buried_until=from_db_time(row["buried_until"]),
        created_at=from_db_time(row[created]),
        modified_at=from_db_time(row[modified]),
    )


def _source_from_row(row: sqlite3.Row) -> SourceRef | None:
    if row["source_id"] is None and row["source_title"] is None:
        return None
    return SourceRef(
        source_id=row["source_id"],
        source_title=row["source_title"],
        first_segment=row["first_segment"],
        last_segment=row["last_segment"],
        start_s=row["start_s"],
        highlight_id=row["highlight_id"],
    )


def _tags_from_text(text: str | None) -> tuple[str, ...]:
    return tuple(sorted(normalise_tags(text or ""), key=str.lower))


def _note_from_row(
    row: sqlite3.Row,
    note_id: str = "id",
    created: str = "created_at",
    modified: str = "modified_at",
    tags: tuple[str, ...] = (),
) -> Note:
    return Note(
        id=row[note_id],
        guid=row["guid"],
        kind=NoteKind(row["kind"]),
        front=row["front"],
        back=row["back"],
        tags=tags,
        source=_source_from_row(row),
        created_at=from_db_time(row[created]),
        modified_at=from_db_time(row[modified]),
    )


def _view_from_row(row: sqlite3.Row) -> CardView:
    card = _card_from_row(row, "card_created_at", "card_modified_at")
    note = _note_from_row(
        row, "note_id", "note_created_at", "note_modified_at", _tags_from_text(row["tags"])
    )
    return CardView(card=card, note=note, deck_name=row["deck_name"])


def _preset_from_row(row: sqlite3.Row) -> Preset:
    params = json.loads(row["parameters"]) if row["parameters"] else None
    return Preset(
        id=row["id"],
        name=row["name"],
        parameters=None if params is None else tuple(float(p) for p in params),
        desired_retention=row["desired_retention"],
        learning_steps=None
        if row["learning_steps"] is None
        else tuple(row["learning_steps"].split()),
        relearning_steps=(
            None if row["relearning_steps"] is None else tuple(row["relearning_steps"].split())
        ),
        maximum_interval=row["maximum_interval"],
        new_per_day=row["new_per_day"],
        reviews_per_day=row["reviews_per_day"],
        optimized_at=from_db_time(row["optimized_at"]),
    )


def _deck_from_row(row: sqlite3.Row) -> Deck:
    return Deck(
        id=row["id"],
        name=row["name"],
        parent_id=row["parent_id"],
        preset_id=row["preset_id"],
        created_at=from_db_time(row["created_at"]),
    )


def _log_from_row(row: sqlite3.Row) -> ReviewLog:
    at = row["reviewed_us"]
    return ReviewLog(
        id=row["id"],
        card_id=row["card_id"],
        rating=row["rating"],
        reviewed_at=from_epoch_us(at),
        duration_ms=row["duration_ms"],
        state_before=_prior_state(row),
        answer_text=row["answer_text"],
    )


def _prior_state(row: sqlite3.Row) -> dict[str, Any]:
    """The card before the answer, as `Card.scheduling_state()` gave it (times as text)."""
    at = row["reviewed_us"]
    last, buried = row["prior_last_delta"], row["prior_buried_us"]
    return {
        "state": row["prior_state"],
        "step": row["prior_step"],
        "stability": row["prior_stability"],
        "difficulty": row["prior_difficulty"],
        "due": to_db_time(from_epoch_us(at + row["prior_due_delta"])),
        "last_review": None if last is None else to_db_time(from_epoch_us(at - last)),
        "reps": row["prior_reps"],
        "lapses": row["prior_lapses"],
        "buried_until": None if buried is None else to_db_time(from_epoch_us(buried)),
    }


LOG_INSERT = (
    "INSERT INTO review_log (card_id, reviewed_us, rating, prior_state, duration_ms,"
    " prior_step, prior_stability, prior_difficulty, prior_due_delta, prior_last_delta,"
    " prior_reps, prior_lapses, prior_buried_us, answer_text)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def log_values(
    before: Card,
    rating: int,
    reviewed_at: datetime,
    duration_ms: int | None,
    answer_text: str | None = None,
) -> tuple[Any, ...]:
    """The `LOG_INSERT` parameters for one answer to `before` (migration 0010's layout)."""
    at = to_epoch_us(reviewed_at)
    last, buried = before.last_review, before.buried_until
    return (
        before.id,
        at,
        int(rating),
        int(before.state),
        duration_ms,
        before.step,
        before.stability,
        before.difficulty,
        to_epoch_us(before.due) - at,
        None if last is None else at - to_epoch_us(last),
        before.reps,
        before.lapses,
        None if buried is None else to_epoch_us(buried),
        answer_text,
    )


def state_log_values(
    card_id: int,
    state: dict[str, Any],
    rating: int,
    reviewed_at: datetime,
    duration_ms: int | None,
    answer_text: str | None = None,
) -> tuple[Any, ...]:
    """`log_values` from a prior state given as `Card.scheduling_state()` (Anki's replay)."""
    at = to_epoch_us(reviewed_at)

    def instant(key: str) -> int | None:
        moment = from_db_time(state.get(key))
        return None if moment is None else to_epoch_us(moment)

    due, last = instant("due"), instant("last_review")
    return (
        card_id,
        at,
        int(rating),
        int(state.get("state", 0)),
        duration_ms,
        state.get("step"),
        state.get("stability"),
        state.get("difficulty"),
        0 if due is None else due - at,
        None if last is None else at - last,
        int(state.get("reps", 0)),
        int(state.get("lapses", 0)),
        instant("buried_until"),
        answer_text,
    )


def _placeholders(count: int) -> str:
    return ",".join("?" * count)


def _chunks(ids: Sequence[int], size: int = 500) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def day_end(now: datetime, rollover_hour: int | None) -> datetime:
    """When the study day that contains `now` ends (days start at `rollover_hour`, local)."""
    from core.clock import next_study_day_start

    if rollover_hour is None:
        # Configuration is passed in, never read here: a caller asking for study-day
        # figures without the rollover hour is a bug, not a user's mistake.
        raise ValueError("Study-day figures need the day rollover hour (config).")
    return next_study_day_start(now, rollover_hour)
