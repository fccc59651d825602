"""Today's review queue: learning, review and new cards within Anki-style daily limits.

- The study day rolls over at `config.day_rollover_hour` local time
  (`core.clock.study_day_start`). Limits count from that moment, using the review log:
  new cards introduced today (first review today) and review-state cards answered today.
- Limits come from the preset of the deck being studied (all decks: the default preset);
  a preset value left unset follows the config (20 new, 200 reviews).
- Order (as Anki's defaults): learning cards that are due now first; then reviews with
  new cards mixed in evenly; when nothing else is left, learning cards due within the
  learn-ahead window (20 minutes) are shown early.
- Suspended cards and cards buried until a later time are never queued. Answering a card
  buries its siblings (the other cards of its note) waiting in today's new or review queue
  until the next study day, as Anki does, so a reverse or another cloze is not shown
  right after (`bury_siblings` in the config).

The queue holds card ids only; the session reloads each card when it shows it and skips
one that changed meanwhile (another Ponder instance may have reviewed it).
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from core import clock
from core.clock import next_study_day_start, study_day_start
from decks.models import Card, CardState
from decks.scheduling import SchedulerSettings, settings_for

if TYPE_CHECKING:
    from core.config import Config
    from decks.repository import CardStore

LEARN_AHEAD = timedelta(minutes=20)

NEW, LEARNING, REVIEW = "new", "learning", "review"


@dataclass(frozen=True, slots=True)
class QueueCounts:
    """Cards left today, by kind (what the review header shows)."""

    new: int = 0
    learning: int = 0
    review: int = 0

    @property
    def total(self) -> int:
        return self.new + self.learning + self.review

    def to_dict(self) -> dict[str, int]:
        return {"new": self.new, "learning": self.learning, "review": self.review}


def kind_of(card: Card) -> str:
    if card.state == CardState.NEW:
        return NEW
    if card.state == CardState.REVIEW:
        return REVIEW
    return LEARNING


class DailyQueue:
    """The cards to study today in one deck (with its subdecks) or in all decks."""

    def __init__(
        self,
        store: CardStore,
        deck_id: int | None = None,
        *,
        config: Config,
        now: datetime | None = None,
        mix_new: bool = True,
        learn_ahead: timedelta = LEARN_AHEAD,
    ) -> None:
        self.store = store
        self.deck_id = deck_id
        self.config = config
        self.mix_new = mix_new
        self.learn_ahead = learn_ahead
        self.settings: SchedulerSettings = settings_for(store.preset_for_deck(deck_id), config)
        self.deck_ids: list[int] | None = None if deck_id is None else store.subdeck_ids(deck_id)
        self.learning: list[tuple[datetime, int]] = []  # sorted by due
        self.reviews: deque[int] = deque()
        self.new: deque[int] = deque()
        self.new_done_today = 0
        self.reviews_done_today = 0
        self.day_start = self.day_end = clock.now()
        self._served = 0  # reviews and new cards handed out, for mixing
        self._modulus = 0
        self.build(now)

    @property
    def rollover_hour(self) -> int:
        return self.config.day_rollover_hour

    def build(self, now: datetime | None = None) -> None:
        """(Re)load today's cards from the database."""
        now = now or clock.now()
        store, ids = self.store, self.deck_ids
        self.day_start = study_day_start(now, self.rollover_hour)
        self.day_end = next_study_day_start(now, self.rollover_hour)
        self.new_done_today, self.reviews_done_today = store.studied_since(self.day_start, ids)
        new_left = max(0, self.settings.new_per_day - self.new_done_today)
        reviews_left = max(0, self.settings.reviews_per_day - self.reviews_done_today)
        learning = store.queue_candidates(LEARNING, now, self.day_end, ids)
        self.learning = sorted((due, card_id) for card_id, due in learning)
        self.reviews = deque(
            card_id
            for card_id, _due in store.queue_candidates(
                REVIEW, now, self.day_end, ids, reviews_left
            )
        )
        self.new = deque(
            card_id
            for card_id, _due in store.queue_candidates(NEW, now, self.day_end, ids, new_left)
        )
        self._served = 0
        self._modulus = self._new_modulus()

    def _new_modulus(self) -> int:
        """Show a new card every N cards so new ones spread evenly among reviews (Anki)."""
        if not self.new or not self.reviews or not self.mix_new:
            return 0
        return max(2, (len(self.reviews) + len(self.new)) // len(self.new))

    def counts(self) -> QueueCounts:
        return QueueCounts(new=len(self.new), learning=len(self.learning), review=len(self.reviews))

    def is_empty(self) -> bool:
        return not (self.new or self.reviews or self.learning)

    def pop_next(self, now: datetime | None = None) -> tuple[int, str] | None:
        """The next card id and its kind, removed from the queue; None when nothing is
        due now (learning cards may still be waiting: see `next_learning_due`)."""
        now = now or clock.now()
        if self.learning and self.learning[0][0] <= now:
            return self.learning.pop(0)[1], LEARNING
        if self.reviews or self.new:
            take_new = not self.reviews or (
                self.new and self._modulus and self._served % self._modulus == self._modulus - 1
            )
            if not self.mix_new and self.reviews:
                take_new = False
            self._served += 1
            if take_new:
                return self.new.popleft(), NEW
            return self.reviews.popleft(), REVIEW
        if self.learning and self.learning[0][0] <= now + self.learn_ahead:
            return self.learning.pop(0)[1], LEARNING
        return None

    def next_learning_due(self) -> datetime | None:
        return self.learning[0][0] if self.learning else None

    def add_learning(self, card_id: int, due: datetime) -> None:
        """A card answered into a (re)learning step due later today comes back then."""
        self.discard(card_id)
        if due < self.day_end:
            bisect.insort(self.learning, (due, card_id))

    def push_front(self, card_id: int, kind: str, due: datetime | None = None) -> None:
        """Put a card back first in its queue (undo, or a card shown but not answered)."""
        self.discard(card_id)
        if kind == NEW:
            self.new.appendleft(card_id)
        elif kind == REVIEW:
            self.reviews.appendleft(card_id)
        else:
            self.learning.insert(0, (due or clock.now(), card_id))

    def queued_kind(self, card_id: int) -> str | None:
        """NEW or REVIEW when the card waits in today's new or review queue."""
        if card_id in self.new:
            return NEW
        if card_id in self.reviews:
            return REVIEW
        return None

    def restore(self, card_id: int, kind: str) -> None:
        """A card taken out of the queue (a buried sibling) goes back at the end of it."""
        self.discard(card_id)
        (self.new if kind == NEW else self.reviews).append(card_id)

    def discard(self, card_id: int) -> None:
        """Remove a card from every queue (buried, suspended, deleted, or answered)."""
        if card_id in self.new:
            self.new.remove(card_id)
        if card_id in self.reviews:
            self.reviews.remove(card_id)
        self.learning = [(due, cid) for due, cid in self.learning if cid != card_id]

    def still_due(self, card: Card, kind: str, now: datetime) -> bool:
        """Whether a queued card is still to be shown (it may have changed since queued)."""
        if card.suspended or card.is_buried(now):
            return False
        if kind == NEW:
            return card.state == CardState.NEW
        if card.state == CardState.NEW:
            return False
        if kind == REVIEW and card.state != CardState.REVIEW:
            return False
        return card.due < self.day_end

    def to_dict(self) -> dict[str, Any]:
        return {
            "deck_id": self.deck_id,
            "counts": self.counts().to_dict(),
            "new_done_today": self.new_done_today,
            "reviews_done_today": self.reviews_done_today,
            "new_per_day": self.settings.new_per_day,
            "reviews_per_day": self.settings.reviews_per_day,
            "day_start": self.day_start.isoformat(),
            "day_end": self.day_end.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class NothingDue:
    """What to tell the learner when the queue is empty."""

    next_due: datetime | None  # the next learning/review card's due time, if any
    due_tomorrow: int  # learning/review cards due by the end of the next study day
    new_limit_reached: bool
    review_limit_reached: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "next_due": None if self.next_due is None else self.next_due.isoformat(),
            "due_tomorrow": self.due_tomorrow,
            "new_limit_reached": self.new_limit_reached,
            "review_limit_reached": self.review_limit_reached,
        }


def nothing_due(queue: DailyQueue, now: datetime | None = None) -> NothingDue:
    """When the next card is due and how many cards are due tomorrow."""
    now = now or clock.now()
    store, ids = queue.store, queue.deck_ids
    tomorrow_end = queue.day_end + timedelta(days=1)
    due_tomorrow = store.count_due_between(queue.day_end, tomorrow_end, ids)
    # Reviews left over today (limit reached) are due tomorrow as well.
    leftover = store.queue_candidates(REVIEW, now, queue.day_end, ids)
    due_tomorrow += len(leftover)
    new_waiting = bool(store.queue_candidates(NEW, now, queue.day_end, ids, 1))
    return NothingDue(
        next_due=store.next_due(now, ids),
        due_tomorrow=due_tomorrow,
        new_limit_reached=new_waiting and queue.new_done_today >= queue.settings.new_per_day,
        review_limit_reached=bool(leftover),
    )


def due_today_by_source(
    store: CardStore, config: Config, now: datetime | None = None
) -> dict[int, int]:
    """source id -> cards the learner can study today: due reviews, learning cards and the
    new cards each deck's daily limit still lets in (what its review queue would show)."""
    card_ids: set[int] = set()
    for deck in store.decks():
        queue = DailyQueue(store, deck.id, config=config, now=now)
        card_ids.update(queue.new)
        card_ids.update(queue.reviews)
        card_ids.update(card_id for _due, card_id in queue.learning)
    return store.source_counts(card_ids)
