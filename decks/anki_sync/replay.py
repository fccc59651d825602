"""A card's state from its whole review log, replayed with py-fsrs.

After reviews made in Anki join a card's log, Ponder does not trust either side's
scheduling: it starts from a new card and replays every review in time order with the
deck preset's scheduler (fuzz off, so the result is the same on every run and machine).
The states before each review come out too, for the log's `state_before` (undo).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from fsrs import Scheduler

from core.clock import to_utc
from decks.models import Card, CardState
from decks.scheduling import review


@dataclass(frozen=True, slots=True)
class Answer:
    """One review in a log, from either side."""

    rating: int
    reviewed_at: datetime
    duration_ms: int | None = None


def without_fuzz(scheduler: Scheduler) -> Scheduler:
    return Scheduler(
        parameters=scheduler.parameters,
        desired_retention=scheduler.desired_retention,
        learning_steps=scheduler.learning_steps,
        relearning_steps=scheduler.relearning_steps,
        maximum_interval=scheduler.maximum_interval,
        enable_fuzzing=False,
    )


def fresh(card: Card) -> Card:
    """The card as it was before its first review."""
    return replace(
        card,
        state=CardState.NEW,
        step=None,
        stability=None,
        difficulty=None,
        due=card.created_at or card.due,
        last_review=None,
        reps=0,
        lapses=0,
    )


def replay(
    card: Card, answers: Sequence[Answer], scheduler: Scheduler
) -> tuple[Card, list[tuple[Answer, dict[str, Any]]]]:
    """(the card after every answer, each answer in time order with the state before it).

    Answers are taken in time order; the card keeps its deck, suspension and burying.
    """
    scheduler = without_fuzz(scheduler)
    current = fresh(card)
    befores: list[tuple[Answer, dict[str, Any]]] = []
    for answer in sorted(answers, key=lambda a: to_utc(a.reviewed_at)):
        befores.append((answer, current.scheduling_state()))
        outcome = review(scheduler, current, int(answer.rating), to_utc(answer.reviewed_at))
        current = replace(outcome.after, buried_until=card.buried_until)
    return current, befores
