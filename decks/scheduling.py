"""FSRS scheduling with py-fsrs, configured from the config and a deck's preset.

Pitfalls handled here (see DESIGN.md):
- py-fsrs wants `datetime.timezone.utc` exactly: every time passes through `to_utc`.
- `fsrs.Card()` without an id sleeps 1 ms: we always pass our card id.
- Fuzz is random: `preview()` reviews the card once per rating and keeps the results;
  the session commits the previewed `Outcome` of the button pressed, so the interval
  on the button is the interval committed.
- py-fsrs has no "new" state: our state 0 becomes a fresh `State.Learning` card.
- `Scheduler.get_card_retrievability` counts whole days; `retrievability()` here uses
  the elapsed time in fractional days, which is what a "retrievability now" display
  needs.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State
from fsrs.scheduler import DEFAULT_PARAMETERS, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

from core.clock import to_utc
from core.durations import format_interval, parse_duration
from decks.models import Card, CardState, Preset

if TYPE_CHECKING:
    from core.config import Config

RATINGS = (Rating.Again, Rating.Hard, Rating.Good, Rating.Easy)

LEECH_THRESHOLD = 8  # lapses (Anki's default); then every half of it again


@dataclass(frozen=True, slots=True)
class SchedulerSettings:
    """Everything that shapes scheduling and daily limits for one deck, resolved."""

    parameters: tuple[float, ...]
    desired_retention: float
    learning_steps: tuple[timedelta, ...]
    relearning_steps: tuple[timedelta, ...]
    maximum_interval: int
    new_per_day: int
    reviews_per_day: int
    enable_fuzzing: bool = True
    preset_id: int | None = None

    def scheduler(self) -> Scheduler:
        return Scheduler(
            parameters=self.parameters,
            desired_retention=self.desired_retention,
            learning_steps=self.learning_steps,
            relearning_steps=self.relearning_steps,
            maximum_interval=self.maximum_interval,
            enable_fuzzing=self.enable_fuzzing,
        )


def _steps(
    values: tuple[str, ...] | list[str] | None, fallback: list[str]
) -> tuple[timedelta, ...]:
    """Parse a preset's steps; unset or unreadable ones give the config's steps."""
    chosen = list(fallback) if values is None else list(values)
    parsed = [parse_duration(str(text)) for text in chosen]
    if values is not None and any(step is None for step in parsed):
        return _steps(None, fallback)
    return tuple(step for step in parsed if step is not None and step.total_seconds() > 0)


def usable_parameters(parameters: tuple[float, ...] | list[float] | None) -> tuple[float, ...]:
    """21 finite parameters clamped into py-fsrs's bounds, or the defaults."""
    if parameters is None or len(parameters) != len(DEFAULT_PARAMETERS):
        return tuple(DEFAULT_PARAMETERS)
    values = []
    for value, low, high in zip(
        parameters, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS, strict=True
    ):
        number = float(value)
        if not math.isfinite(number):
            return tuple(DEFAULT_PARAMETERS)
        values.append(min(max(number, low), high))
    return tuple(values)


def settings_for(preset: Preset | None, config: Config) -> SchedulerSettings:
    """A preset's values, with the config filling every value the preset leaves unset."""
    preset = preset or Preset(id=1, name="Default")

    def pick(value: Any, fallback: Any) -> Any:
        return fallback if value is None else value

    retention = float(pick(preset.desired_retention, config.desired_retention))
    retention = min(max(retention, 0.70), 0.99)
    return SchedulerSettings(
        parameters=usable_parameters(preset.parameters),
        desired_retention=retention,
        learning_steps=_steps(preset.learning_steps, config.learning_steps),
        relearning_steps=_steps(preset.relearning_steps, config.relearning_steps),
        maximum_interval=max(1, int(pick(preset.maximum_interval, config.maximum_interval))),
        new_per_day=max(0, int(pick(preset.new_per_day, config.new_per_day))),
        reviews_per_day=max(0, int(pick(preset.reviews_per_day, config.reviews_per_day))),
        preset_id=preset.id,
    )


class PresetSource(Protocol):
    def preset_for_deck(self, deck_id: int | None) -> Preset: ...


def scheduler_for_deck(store: PresetSource, deck_id: int | None, config: Config) -> Scheduler:
    """The py-fsrs Scheduler for a deck, from its preset (fitted parameters included)."""
    return settings_for(store.preset_for_deck(deck_id), config).scheduler()


def parameters_json(parameters: tuple[float, ...] | list[float] | None) -> str | None:
    return None if parameters is None else json.dumps([float(p) for p in parameters])


# -- converting between our Card and py-fsrs's ------------------------------------------


def to_fsrs_card(card: Card) -> FsrsCard:
    """py-fsrs's view of the card (a new card is Learning step 0 with no memory state)."""
    if card.state == CardState.NEW:
        return FsrsCard(card_id=card.id, state=State.Learning, step=0, due=to_utc(card.due))
    state = State(int(card.state))
    step = card.step if state != State.Review else None
    if state != State.Review and step is None:
        step = 0
    return FsrsCard(
        card_id=card.id,
        state=state,
        step=step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=to_utc(card.due),
        last_review=None if card.last_review is None else to_utc(card.last_review),
    )


def apply_fsrs(card: Card, reviewed: FsrsCard, rating: Rating) -> Card:
    """Our card after a review: FSRS state copied, reps counted, a lapse if a review failed."""
    lapsed = card.state == CardState.REVIEW and rating == Rating.Again
    return replace(
        card,
        state=CardState(int(reviewed.state)),
        step=reviewed.step,
        stability=reviewed.stability,
        difficulty=reviewed.difficulty,
        due=to_utc(reviewed.due),
        last_review=None if reviewed.last_review is None else to_utc(reviewed.last_review),
        reps=card.reps + 1,
        lapses=card.lapses + (1 if lapsed else 0),
        buried_until=None,
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What pressing one rating does: the card after, and the interval the button shows."""

    rating: Rating
    before: Card
    after: Card
    reviewed_at: datetime
    interval: timedelta

    @property
    def label(self) -> str:
        return format_interval(self.interval)

    @property
    def lapsed(self) -> bool:
        return self.after.lapses > self.before.lapses

    def at(self, moment: datetime) -> Outcome:
        """The same outcome answered at `moment`: due keeps the exact interval shown."""
        moment = to_utc(moment)
        if moment == self.reviewed_at:
            return self
        after = replace(self.after, due=moment + self.interval, last_review=moment)
        return replace(self, after=after, reviewed_at=moment)


def review(scheduler: Scheduler, card: Card, rating: Rating, moment: datetime) -> Outcome:
    """One rating of `card` at `moment` (fuzz drawn now)."""
    moment = to_utc(moment)
    reviewed, _log = scheduler.review_card(to_fsrs_card(card), Rating(rating), moment)
    after = apply_fsrs(card, reviewed, Rating(rating))
    return Outcome(Rating(rating), card, after, moment, after.due - moment)


def preview(scheduler: Scheduler, card: Card, moment: datetime) -> dict[Rating, Outcome]:
    """The four possible outcomes, each computed once: commit the one that is chosen."""
    return {rating: review(scheduler, card, rating, moment) for rating in RATINGS}


def is_leech_lapse(outcome: Outcome, threshold: int = LEECH_THRESHOLD) -> bool:
    """True when this answer makes the card a leech (at 8 lapses, then every 4 more)."""
    if not outcome.lapsed or threshold <= 0:
        return False
    lapses = outcome.after.lapses
    if lapses < threshold:
        return False
    return (lapses - threshold) % max(1, threshold // 2) == 0


def retrievability(scheduler: Scheduler, card: Card, moment: datetime) -> float | None:
    """Probability of recall now (fractional days elapsed); None before the first review."""
    if card.stability is None or card.last_review is None or card.state == CardState.NEW:
        return None
    elapsed = max(0.0, (to_utc(moment) - to_utc(card.last_review)).total_seconds() / 86400)
    decay = -scheduler.parameters[20]
    factor = 0.9 ** (1 / decay) - 1
    return (1 + factor * elapsed / card.stability) ** decay
