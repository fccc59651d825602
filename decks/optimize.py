"""Personalised scheduling: fit FSRS-6 parameters to the learner's own review log.

Fitting uses `fsrs-rs-python` (the Rust FSRS core Anki uses; no torch); scheduling stays
with py-fsrs, which takes the 21 fitted parameters as they are. Each review after a card's
first becomes one training item: the card's history so far, with the number of whole days
between reviews (`(later - earlier).days`, exactly as py-fsrs measures elapsed time when it
schedules, so the fitted curve is the one the scheduler will use). Reviews on the same day
as the one before are short-term steps: they stay in the history but are not predicted.

Also here: the workload a desired retention implies (fsrs-rs's simulator) and a simulator
of learners with known parameters, used by the tests and the benchmark.
"""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.config import Config

# Fewer long-term reviews than this and the fit is noise: fsrs-rs itself falls back to the
# defaults below about 400 items.
MIN_REVIEWS = 400
RETENTION_MIN, RETENTION_MAX = 0.70, 0.99
RETENTION_ADVISED_MIN, RETENTION_ADVISED_MAX = 0.80, 0.95
# fsrs-rs ignores longer histories (its max_seq_len); keep items within it.
MAX_HISTORY = 64

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): stage is a short phrase such as "Fitting"."""


def default_parameters() -> list[float]:
    """py-fsrs's FSRS-6 defaults (the same 21 numbers as fsrs-rs's)."""
    from fsrs.scheduler import DEFAULT_PARAMETERS

    return list(DEFAULT_PARAMETERS)


class NotEnoughReviews(ValueError):
    """Too little history to fit parameters; says how many more reviews are needed."""

    def __init__(self, have: int, needed: int = MIN_REVIEWS) -> None:
        self.have = have
        self.needed = needed
        missing = needed - have
        super().__init__(
            f"Optimising needs at least {needed} reviews made on a later day than the card's "
            f"previous review; this deck has {have}. Review {missing} more and try again."
        )


class OptimizeError(RuntimeError):
    """The optimiser failed on this data (the message says how)."""


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    """The part of a review the optimiser needs: which card, when, and the rating (1-4)."""

    card_id: int
    reviewed_at: datetime
    rating: int
    prior_state: int | None = None  # 0 = the card was new (first review, or after a reset)


@dataclass(frozen=True, slots=True)
class FitMetrics:
    """How well parameters predict the learner's recalls (lower is better for both)."""

    log_loss: float
    rmse: float

    def to_dict(self) -> dict[str, float]:
        return {"log_loss": self.log_loss, "rmse": self.rmse}


@dataclass(frozen=True, slots=True)
class TrainingSet:
    """fsrs-rs items built from a review log, with the card each item belongs to."""

    items: list[Any]  # fsrs_rs_python.FSRSItem
    card_ids: list[int]
    reviews: int  # all reviews read
    cards: int

    @property
    def size(self) -> int:
        """Long-term reviews: the ones the model is fitted to predict."""
        return len(self.items)


@dataclass(frozen=True, slots=True)
class OptimizeResult:
    """Fitted parameters and the fit before (current parameters) and after."""

    parameters: list[float]
    previous_parameters: list[float]
    before: FitMetrics
    after: FitMetrics
    reviews: int
    training_items: int
    cards: int
    elapsed_s: float

    @property
    def improved(self) -> bool:
        return self.after.log_loss < self.before.log_loss

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["improved"] = self.improved
        return data


# -- building the training set ------------------------------------------------------------


def build_training_set(
    records: Iterable[ReviewRecord], *, progress: Progress | None = None
) -> TrainingSet:
    """Group reviews by card, in time order, and turn each long-term review into an item."""
    from fsrs_rs_python import FSRSItem, FSRSReview

    by_card: dict[int, list[tuple[datetime, int, bool]]] = defaultdict(list)
    total = 0
    for record in records:
        if 1 <= record.rating <= 4:
            by_card[record.card_id].append(
                (record.reviewed_at, record.rating, record.prior_state == 0)
            )
            total += 1
    items: list[Any] = []
    card_ids: list[int] = []
    card_count = len(by_card)
    for done, (card_id, history) in enumerate(by_card.items(), start=1):
        history.sort()
        reviews: list[Any] = []
        previous: datetime | None = None
        for moment, rating, is_new in history:
            if is_new and reviews:
                # The card was reset (forgotten): its history starts again here.
                reviews, previous = [], None
            if len(reviews) > MAX_HISTORY:
                continue
            delta = 0 if previous is None else max(0, (moment - previous).days)
            previous = moment
            reviews.append(FSRSReview(rating, delta))
            if len(reviews) > 1 and delta > 0:
                items.append(FSRSItem(list(reviews)))
                card_ids.append(card_id)
        if progress is not None and (done % 2000 == 0 or done == card_count):
            progress("Building histories", done, card_count)
    return TrainingSet(items=items, card_ids=card_ids, reviews=total, cards=card_count)


# -- evaluating and fitting ------------------------------------------------------------------


def evaluate(parameters: Sequence[float], training: TrainingSet) -> FitMetrics:
    """Log loss and RMSE (binned, as Anki shows it) of `parameters` on these reviews."""
    from fsrs_rs_python import FSRS

    if not training.items:
        return FitMetrics(math.nan, math.nan)
    try:
        result = FSRS(list(parameters)).evaluate(training.items)
    except (ValueError, RuntimeError) as error:
        raise OptimizeError(f"Could not evaluate the parameters: {error}") from None
    return FitMetrics(float(result.log_loss), float(result.rmse_bins))


def compute_parameters(training: TrainingSet) -> list[float]:
    """Fit the 21 FSRS-6 parameters; NotEnoughReviews below MIN_REVIEWS."""
    from fsrs_rs_python import FSRS

    if training.size < MIN_REVIEWS:
        raise NotEnoughReviews(training.size)
    try:
        fitted = FSRS(default_parameters()).compute_parameters(
            training.items, card_ids=training.card_ids
        )
    except ValueError as error:
        if "NotEnoughData" in str(error):
            raise NotEnoughReviews(training.size, max(MIN_REVIEWS, training.size + 1)) from None
        raise OptimizeError(f"The optimiser failed: {error}") from None
    except RuntimeError as error:
        raise OptimizeError(f"The optimiser failed: {error}") from None
    parameters = [float(value) for value in fitted]
    if len(parameters) != 21 or not all(math.isfinite(value) for value in parameters):
        raise OptimizeError("The optimiser returned unusable parameters.")
    return clamp_to_scheduler_bounds(parameters)


def clamp_to_scheduler_bounds(parameters: Sequence[float]) -> list[float]:
    """Keep each parameter inside py-fsrs's accepted range (float32 rounding can stray)."""
    from fsrs.scheduler import LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

    return [
        min(max(value, low), high)
        for value, low, high in zip(
            parameters, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS, strict=True
        )
    ]


def optimize_records(
    records: Iterable[ReviewRecord],
    *,
    current_parameters: Sequence[float] | None = None,
    progress: Progress | None = None,
) -> OptimizeResult:
    """Fit parameters to a review log and measure the fit before and after, on that log."""
    started = time.perf_counter()
    previous = list(current_parameters) if current_parameters else default_parameters()
    training = build_training_set(records, progress=progress)
    if training.size < MIN_REVIEWS:
        raise NotEnoughReviews(training.size)
    if progress is not None:
        progress("Measuring the current fit", 0, 1)
    before = evaluate(previous, training)
    if progress is not None:
        progress("Measuring the current fit", 1, 1)
        progress("Fitting parameters", 0, 1)
    parameters = compute_parameters(training)
    if progress is not None:
        progress("Fitting parameters", 1, 1)
        progress("Measuring the new fit", 0, 1)
    after = evaluate(parameters, training)
    if progress is not None:
        progress("Measuring the new fit", 1, 1)
    return OptimizeResult(
        parameters=parameters,
        previous_parameters=previous,
        before=before,
        after=after,
        reviews=training.reviews,
        training_items=training.size,
        cards=training.cards,
        elapsed_s=time.perf_counter() - started,
    )


# -- desired retention and workload ------------------------------------------------------


def check_retention(value: float) -> str | None:
    """None if `value` is a sensible desired retention; a warning if allowed but unwise.

    Raises ValueError outside 0.70-0.99.
    """
    if not isinstance(value, int | float) or math.isnan(value):
        raise ValueError("Desired retention must be a number from 0.70 to 0.99.")
    if not RETENTION_MIN <= value <= RETENTION_MAX:
        raise ValueError(f"Desired retention must be from 0.70 to 0.99, not {value:g}.")
    if value < RETENTION_ADVISED_MIN:
        return (
            f"{value:.2f} is below 0.80: you will forget more than one card in five, "
            "and relearning costs more than the reviews saved."
        )
    if value > RETENTION_ADVISED_MAX:
        return (
            f"{value:.2f} is above 0.95: the workload grows steeply for little gain "
            "(see the reviews per day beside it)."
        )
    return None


@dataclass(frozen=True, slots=True)
class Workload:
    """A simulated estimate of the daily load a desired retention implies."""

    desired_retention: float
    reviews_per_day: float  # average over the simulated span
    new_per_day: float
    minutes_per_day: float
    memorized: float  # cards expected to be remembered at the end of the span
    days: int
    deck_size: int
    warning: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def simulate_workload(
    desired_retention: float,
    *,
    parameters: Sequence[float] | None = None,
    deck_size: int = 1000,
    new_per_day: int = 20,
    reviews_per_day: int = 9999,
    days: int = 365,
    maximum_interval: int = 36500,
    seed: int = 42,
) -> Workload:
    """Reviews per day over `days` for a deck of `deck_size` cards learned at `new_per_day`.

    fsrs-rs's simulator, with the time cap lifted so the estimate shows the real load.
    Deterministic for a given seed. About 10 ms for a thousand cards.
    """
    import fsrs_rs_python as rs

    warning = check_retention(desired_retention)
    config = rs.default_simulator_config()
    config.deck_size = max(1, int(deck_size))
    config.learn_span = max(1, int(days))
    config.learn_limit = max(0, int(new_per_day))
    config.review_limit = max(0, int(reviews_per_day))
    config.max_ivl = float(maximum_interval)
    config.max_cost_perday = 24 * 3600.0
    weights = list(parameters) if parameters else default_parameters()
    result = rs.simulate(weights, float(desired_retention), config, seed)
    span = len(result.review_cnt_per_day) or 1
    return Workload(
        desired_retention=float(desired_retention),
        reviews_per_day=sum(result.review_cnt_per_day) / span,
        new_per_day=sum(result.learn_cnt_per_day) / span,
        minutes_per_day=sum(result.cost_per_day) / span / 60,
        memorized=float(result.memorized_cnt_per_day[-1]) if result.memorized_cnt_per_day else 0,
        days=span,
        deck_size=config.deck_size,
        warning=warning,
    )


# -- simulated learners (tests, benchmarks) --------------------------------------------


@dataclass(slots=True)
class SimulatedLog:
    """A synthetic review history generated from known parameters."""

    parameters: list[float]
    records: list[ReviewRecord] = field(default_factory=list)


def simulate_learner(
    parameters: Sequence[float],
    *,
    cards: int,
    days: int = 365,
    seed: int = 7,
    start: datetime | None = None,
    new_per_day: int = 20,
    max_reviews: int | None = None,
) -> SimulatedLog:
    """Review `cards` cards for `days` days as a learner whose memory follows `parameters`.

    Recall is drawn from the forgetting curve of the true memory state (py-fsrs with the
    given parameters): forgotten -> Again, recalled -> Hard/Good/Easy. Intervals are the
    scheduler's times a random factor, so recalls are observed at many retrievabilities and
    the parameters can be told apart.
    """
    from fsrs import Card, Rating, Scheduler, State

    rng = random.Random(seed)
    start = start or datetime(2025, 1, 1, 9, tzinfo=UTC)
    horizon = start + timedelta(days=days)
    scheduler = Scheduler(parameters=list(parameters), enable_fuzzing=False)
    log = SimulatedLog(parameters=list(parameters))
    first_ratings = (Rating.Again, Rating.Hard, Rating.Good, Rating.Easy)
    first_weights = (0.25, 0.1, 0.5, 0.15)
    recall_ratings = (Rating.Hard, Rating.Good, Rating.Easy)
    recall_weights = (0.15, 0.7, 0.15)
    for index in range(cards):
        moment = start + timedelta(days=index // max(1, new_per_day), minutes=rng.randint(0, 600))
        card = Card(card_id=index + 1, due=moment)
        while moment < horizon:
            if card.stability is None:
                rating = rng.choices(first_ratings, first_weights)[0]
            else:
                recall = scheduler.get_card_retrievability(card, moment)
                if rng.random() < recall:
                    rating = rng.choices(recall_ratings, recall_weights)[0]
                else:
                    rating = Rating.Again
            card, _ = scheduler.review_card(card, rating, moment)
            log.records.append(ReviewRecord(card.card_id, moment, int(rating)))
            if max_reviews is not None and len(log.records) >= max_reviews:
                return log
            interval = card.due - moment
            if card.state == State.Review:
                interval = timedelta(days=max(1.0, interval.days * rng.uniform(0.4, 2.5)))
            moment = moment + interval + timedelta(minutes=rng.randint(0, 120))
    return log


# -- presets: optimise, reset, reschedule, retention --------------------------------------


@dataclass(frozen=True, slots=True)
class PresetOptimization:
    """The outcome of optimising one preset: its decks, the fit, and whether it was saved."""

    preset_id: int
    preset_name: str
    decks: list[str]
    result: OptimizeResult | None
    saved: bool
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "preset_id": self.preset_id,
            "preset": self.preset_name,
            "decks": list(self.decks),
            "saved": self.saved,
            "message": self.message,
            "result": None if self.result is None else self.result.to_dict(),
        }


def preset_decks(store: Any, preset_id: int) -> list[Any]:
    """The decks (models.Deck) using this preset, in tree order."""
    return [deck for deck in store.decks() if deck.preset_id == preset_id]


def presets_in_use(store: Any) -> list[Any]:
    """Presets that at least one deck uses (what "optimise all" goes through)."""
    used = {deck.preset_id for deck in store.decks()}
    return [preset for preset in store.presets() if preset.id in used]


def review_records(store: Any, deck_ids: Sequence[int]) -> list[ReviewRecord]:
    """The review log of these decks' cards, as the optimiser reads it."""
    from decks.models import from_epoch_us
    from decks.stats import review_history

    if not deck_ids:
        return []
    return [
        ReviewRecord(card_id, from_epoch_us(reviewed_us), rating, prior_state)
        for card_id, reviewed_us, rating, prior_state in review_history(store.conn, list(deck_ids))
    ]


def optimize_preset(
    store: Any,
    preset_id: int,
    *,
    progress: Progress | None = None,
    save: bool = True,
    now: datetime | None = None,
) -> PresetOptimization:
    """Fit parameters to the reviews of every deck using this preset, and store them.

    Stored (with the date) only when they predict the learner's reviews better than the
    current parameters. NotEnoughReviews when the decks have too little history.
    """
    from core import clock

    preset = store.preset(preset_id)
    if preset is None:
        raise OptimizeError(f"No preset {preset_id}.")
    decks = preset_decks(store, preset_id)
    names = [deck.name for deck in decks]
    if progress is not None:
        progress("Reading reviews", 0, 1)
    records = review_records(store, [deck.id for deck in decks])
    if progress is not None:
        progress("Reading reviews", 1, 1)
    current = list(preset.parameters) if preset.parameters else None
    result = optimize_records(records, current_parameters=current, progress=progress)
    if not result.improved:
        return PresetOptimization(
            preset.id,
            preset.name,
            names,
            result,
            False,
            "The current parameters already fit your reviews as well; nothing changed.",
        )
    if save:
        store.set_preset_parameters(preset.id, result.parameters, now or clock.now())
    return PresetOptimization(
        preset.id,
        preset.name,
        names,
        result,
        save,
        "Saved the new parameters." if save else "Not saved (dry run).",
    )


def reset_parameters(store: Any, preset_id: int) -> Any:
    """Back to the FSRS defaults for this preset; returns the updated models.Preset."""
    store.set_preset_parameters(preset_id, None)
    return store.preset(preset_id)


@dataclass(frozen=True, slots=True)
class RescheduleReport:
    rescheduled: int
    skipped: int  # changed by a review meanwhile, or no history to replay
    elapsed_s: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def reschedule_preset(
    store: Any,
    preset_id: int,
    *,
    progress: Progress | None = None,
    config: Config,
    now: datetime | None = None,
) -> RescheduleReport:
    """Replay every reviewed card's history with the preset's current parameters.

    py-fsrs's `Scheduler.reschedule_card(card, logs)` gives each card the memory state and
    due date it would have had under these parameters. New cards are left alone, as are
    suspension, burying, reps and lapses. A card reviewed meanwhile (by another running
    Ponder) is skipped rather than overwritten.
    """
    from fsrs import Rating
    from fsrs import ReviewLog as FsrsReviewLog

    from core import clock
    from decks.models import CardState
    from decks.scheduling import settings_for, to_fsrs_card

    started = time.perf_counter()
    preset = store.preset(preset_id)
    if preset is None:
        raise OptimizeError(f"No preset {preset_id}.")
    scheduler = settings_for(preset, config).scheduler()
    deck_ids = [deck.id for deck in preset_decks(store, preset_id)]
    logs_by_card: dict[int, list[ReviewRecord]] = defaultdict(list)
    for record in sorted(review_records(store, deck_ids), key=lambda r: r.reviewed_at):
        if record.prior_state == 0:
            logs_by_card[record.card_id] = []  # a reset (or the first review) starts afresh
        logs_by_card[record.card_id].append(record)
    card_ids = sorted(logs_by_card)
    updates: list[tuple[Any, Any]] = []
    skipped = 0
    for done, card_id in enumerate(card_ids, start=1):
        card = store.get_card(card_id)
        logs = logs_by_card[card_id]
        if card is None or card.state == CardState.NEW or not logs:
            skipped += 1
            continue
        fsrs_logs = [
            FsrsReviewLog(card_id, Rating(log.rating), clock.to_utc(log.reviewed_at), None)
            for log in logs
        ]
        replayed = scheduler.reschedule_card(to_fsrs_card(card), fsrs_logs)
        last_review = replayed.last_review
        after = replace(
            card,
            state=CardState(int(replayed.state)),
            step=replayed.step,
            stability=replayed.stability,
            difficulty=replayed.difficulty,
            due=clock.to_utc(replayed.due),
            last_review=None if last_review is None else clock.to_utc(last_review),
        )
        updates.append((card, after))
        if progress is not None and (done % 500 == 0 or done == len(card_ids)):
            progress("Rescheduling cards", done, len(card_ids))
    rescheduled = store.set_scheduling(updates, now)
    skipped += len(updates) - rescheduled
    return RescheduleReport(rescheduled, skipped, time.perf_counter() - started)


@dataclass(frozen=True, slots=True)
class RetentionChange:
    """A desired retention set for a preset.

    The Default preset has no retention of its own: it is the `desired_retention` setting,
    so that Settings, Stats and the scheduler show one value. For it `for_settings` holds
    the value the caller (an entry point, which owns the config file) must save there.
    """

    preset: Any
    warning: str | None
    for_settings: float | None = None


def set_desired_retention(store: Any, preset_id: int, value: float) -> RetentionChange:
    """Store a preset's desired retention (0.70-0.99), or hand the Default preset's to the
    caller for the settings file (see RetentionChange)."""
    from decks.models import DEFAULT_PRESET_ID

    warning = check_retention(value)
    if preset_id == DEFAULT_PRESET_ID:
        preset = store.update_preset(preset_id, desired_retention=None)
        return RetentionChange(preset, warning, for_settings=float(value))
    preset = store.update_preset(preset_id, desired_retention=float(value))
    return RetentionChange(preset, warning)


def own_preset_for_deck(store: Any, deck_id: int) -> tuple[Any, str | None]:
    """The deck's preset if only this deck uses it (and it is not Default, which belongs to
    the settings); otherwise a new preset (a copy of the shared one, named after the deck)
    given to this deck, and a sentence saying so. A deck option then changes that deck
    only, as in Anki."""
    from decks.repository import CardStoreError

    deck = store.deck(deck_id)
    if deck is None:
        raise OptimizeError(f"No deck {deck_id}.")
    from decks.models import DEFAULT_PRESET_ID

    shared = store.preset_for_deck(deck_id)
    others = [d.name for d in preset_decks(store, shared.id) if d.id != deck_id]
    if not others and shared.id != DEFAULT_PRESET_ID:  # Default is every new deck's too
        return shared, None
    values = {
        "desired_retention": shared.desired_retention,
        "learning_steps": shared.learning_steps,
        "relearning_steps": shared.relearning_steps,
        "maximum_interval": shared.maximum_interval,
        "new_per_day": shared.new_per_day,
        "reviews_per_day": shared.reviews_per_day,
    }
    taken = {preset.name for preset in store.presets()}
    name, number = deck.name, 2
    while name in taken:
        name, number = f"{deck.name} ({number})", number + 1
    try:
        preset = store.create_preset(name, **values)
    except CardStoreError as error:
        raise OptimizeError(str(error)) from None
    if shared.parameters is not None:
        store.set_preset_parameters(preset.id, shared.parameters, shared.optimized_at)
    store.set_deck_preset(deck_id, preset.id)
    shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
    sharing = f" with {shown}" if others else ", the preset of every new deck"
    note = (
        f"Deck {deck.name} now has its own preset {name!r} (it shared {shared.name!r}"
        f"{sharing}); the other decks keep theirs."
    )
    return store.preset(preset.id), note


def workload_for_preset(
    store: Any,
    preset_id: int,
    desired_retention: float | None = None,
    *,
    config: Config,
    days: int = 365,
) -> Workload:
    """The simulated daily load of this preset's decks at a desired retention.

    Deck size is the number of cards in the preset's decks (at least 100, so an empty
    preset still gives a useful figure) and new cards per day come from the preset; the
    review limit is lifted, so the figure is the load the retention implies.
    """
    from decks.scheduling import settings_for

    preset = store.preset(preset_id)
    if preset is None:
        raise OptimizeError(f"No preset {preset_id}.")
    settings = settings_for(preset, config)
    deck_ids = [deck.id for deck in preset_decks(store, preset_id)]
    cards = 0
    if deck_ids:
        marks = ", ".join("?" for _ in deck_ids)
        cards = int(
            store.conn.execute(
                f"SELECT COUNT(*) FROM cards WHERE suspended = 0 AND deck_id IN ({marks})",
                deck_ids,
            ).fetchone()[0]
        )
    retention = settings.desired_retention if desired_retention is None else desired_retention
    return simulate_workload(
        retention,
        parameters=settings.parameters,
        deck_size=max(100, cards),
        new_per_day=settings.new_per_day,
        days=days,
        maximum_interval=settings.maximum_interval,
    )


def workload_table(
    store: Any,
    preset_id: int,
    retentions: Sequence[float] = (0.80, 0.85, 0.90, 0.95),
    *,
    config: Config,
) -> list[Workload]:
    """Workloads at several retentions, for a "what does this cost" table."""
    return [workload_for_preset(store, preset_id, value, config=config) for value in retentions]
