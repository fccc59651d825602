"""A review session: the domain side of the review screen (no Textual).

    session = ReviewSession(store, None, config=config)  # None = all decks
    view = session.next_card()                         # CardView or None
    session.reveal()
    for button in session.buttons(): ...               # 1 Again 10m, 2 Hard ..., 3 Good 1d
    result = session.answer(Rating.Good)               # one transaction
    session.undo()                                     # back to the previous card, repeatable

The four outcomes are computed once when a card is shown (`preview`), and `answer()`
commits the previewed outcome of the pressed button, so the interval on the button is
the one stored even though py-fsrs fuzzes intervals at random. Answering later than the
card was shown keeps the shown interval, counted from the moment of the answer.

The answer time runs from the moment a card is shown; `pause_clock()` / `resume_clock()`
keep a detour (a chat about the card) out of it. `replace_current(view)` shows an edited
card's new text without touching its schedule; `drop_current()` forgets a card that an
edit removed or suspended.

Undo restores the card's columns from the review log's prior state, deletes the log
row (one transaction), removes a leech tag that review added, and makes that card the
current one again. Bury and suspend are undoable the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fsrs import Rating, Scheduler

from core import clock
from core.clock import next_study_day_start
from core.durations import format_interval
from core.ratings import RATING_NAMES
from decks.models import Card, CardView, Deck
from decks.queue import LEARNING, DailyQueue, NothingDue, QueueCounts, kind_of, nothing_due
from decks.repository import StaleCard, UndoError
from decks.scheduling import (
    LEECH_THRESHOLD,
    RATINGS,
    Outcome,
    is_leech_lapse,
    preview,
    review,
    settings_for,
)

if TYPE_CHECKING:
    from core.config import Config
    from decks.repository import CardStore

STALE_RETRIES = 5
MAX_ANSWER_MS = 60_000  # Anki's "maximum answer seconds": longer pauses count as 60 s


class ReviewError(RuntimeError):
    """An action that makes no sense now (answer before a card is shown...)."""


@dataclass(frozen=True, slots=True)
class Button:
    """One answer button: key 1-4, its name and the next interval it gives."""

    rating: Rating
    key: str
    name: str
    label: str  # e.g. "10m", "2d", "3.1mo"

    def to_dict(self) -> dict[str, Any]:
        return {"rating": int(self.rating), "key": self.key, "name": self.name, "label": self.label}


@dataclass(frozen=True, slots=True)
class AnswerResult:
    card: Card  # the card as stored after the answer
    rating: Rating
    interval_label: str
    log_id: int
    leech: bool  # this answer made the card a leech: tell the learner
    leech_tag_added: bool

    @property
    def message(self) -> str | None:
        """What to tell the learner, if anything (leech notice)."""
        if not self.leech:
            return None
        return (
            f"Leech: this card has lapsed {self.card.lapses} times and is tagged "
            "'leech'. Consider rewording or splitting it (it stays in your reviews)."
        )


@dataclass(slots=True)
class _UndoEntry:
    kind: str  # "answer", "bury", "suspend"
    card_id: int
    queue_kind: str
    log_id: int | None = None
    leech_tag_added: bool = False
    rating: Rating | None = None
    duration_ms: int = 0
    suspended: bool = False
    buried_until: datetime | None = None
    # siblings this answer buried: (card id, queue kind, buried_until before)
    siblings: tuple[tuple[int, str, datetime | None], ...] = ()


@dataclass(slots=True)
class SessionSummary:
    """Cards reviewed, again-rate and time spent in this session."""

    answers: int = 0
    cards: int = 0
    again: int = 0
    by_rating: dict[int, int] = field(default_factory=lambda: {1: 0, 2: 0, 3: 0, 4: 0})
    time_ms: int = 0
    new_cards: int = 0
    started_at: datetime | None = None

    @property
    def again_rate(self) -> float:
        return self.again / self.answers if self.answers else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "answers": self.answers,
            "cards": self.cards,
            "again": self.again,
            "again_rate": round(self.again_rate, 4),
            "by_rating": dict(self.by_rating),
            "time_ms": self.time_ms,
            "new_cards": self.new_cards,
        }

    def describe(self) -> str:
        minutes, seconds = divmod(round(self.time_ms / 1000), 60)
        return (
            f"{self.cards} cards reviewed ({self.answers} answers), "
            f"again {self.again_rate:.0%}, {minutes}m {seconds:02d}s"
        )


@dataclass(frozen=True, slots=True)
class Progress:
    """Session progress: answers given and cards still left today."""

    done: int
    left: int

    @property
    def total(self) -> int:
        return self.done + self.left

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


class ReviewSession:
    """Studying one deck (with subdecks) or all decks, one card at a time."""

    def __init__(
        self,
        store: CardStore,
        deck_id: int | None = None,
        *,
        config: Config,
        now: Callable[[], datetime] = clock.now,
        timer: Callable[[], float] = time.monotonic,
        mix_new: bool = True,
    ) -> None:
        self.store = store
        self.config = config
        self.deck: Deck | None = None if deck_id is None else store.deck(deck_id)
        if deck_id is not None and self.deck is None:
            raise ReviewError(f"No deck {deck_id}.")
        self._now = now
        self._timer = timer
        self.queue = DailyQueue(store, deck_id, config=config, now=now(), mix_new=mix_new)
        self.current: CardView | None = None
        self.current_kind: str | None = None
        self.revealed = False
        self._outcomes: dict[Rating, Outcome] = {}
        self._shown_at = 0.0
        self._paused_at: float | None = None  # the answer clock is paused since then
        self._schedulers: dict[int, Scheduler] = {}
        self._undo: list[_UndoEntry] = []
        self._reviewed_cards: dict[int, int] = {}  # card id -> answers this session
        self.summary = SessionSummary(started_at=now())

    # -- what the screen shows -------------------------------------------------------------

    @property
    def title(self) -> str:
        return self.deck.name if self.deck else "All decks"

    def counts(self) -> QueueCounts:
        """New / learning / review left today, the current card included."""
        counts = self.queue.counts()
        if self.current is None or self.current_kind is None:
            return counts
        extra = {"new": 0, "learning": 0, "review": 0}
        extra[self.current_kind] = 1
        return QueueCounts(
            new=counts.new + extra["new"],
            learning=counts.learning + extra["learning"],
            review=counts.review + extra["review"],
        )

    def progress(self) -> Progress:
        return Progress(done=self.summary.answers, left=self.counts().total)

    def scheduler_for(self, card: Card) -> Scheduler:
        """The scheduler of the card's own deck preset (cached per deck)."""
        scheduler = self._schedulers.get(card.deck_id)
        if scheduler is None:
            preset = self.store.preset_for_deck(card.deck_id)
            scheduler = settings_for(preset, self.config).scheduler()
            self._schedulers[card.deck_id] = scheduler
        return scheduler

    def next_card(self) -> CardView | None:
        """Show the next card (the current one if it is still unanswered)."""
        if self.current is not None:
            return self.current
        now = self._now()
        if now >= self.queue.day_end:  # the study day rolled over during the session
            self.queue.build(now)
        while True:
            popped = self.queue.pop_next(now)
            if popped is None:
                return None
            card_id, kind = popped
            view = self.store.card_view(card_id)
            if view is None or not self.queue.still_due(view.card, kind, now):
                continue
            self._show(view, kind, now)
            return view

    def _show(self, view: CardView, kind: str, now: datetime) -> None:
        self.current = view
        self.current_kind = kind
        self.revealed = False
        self._outcomes = preview(self.scheduler_for(view.card), view.card, now)
        self._shown_at = self._timer()
        self._paused_at = None

    def pause_clock(self) -> None:
        """Stop counting the current card's answer time (a detour, such as a chat about it)."""
        if self.current is not None and self._paused_at is None:
            self._paused_at = self._timer()

    def resume_clock(self) -> None:
        """Count answer time again; the paused stretch is left out of it."""
        if self._paused_at is None:
            return
        self._shown_at += self._timer() - self._paused_at
        self._paused_at = None

    def _answer_ms(self) -> int:
        """Time since the card was shown, pauses left out, capped at `MAX_ANSWER_MS`."""
        stopped = self._timer() if self._paused_at is None else self._paused_at
        return min(MAX_ANSWER_MS, max(0, round((stopped - self._shown_at) * 1000)))

    def replace_current(self, view: CardView) -> None:
        """Show the current card's new text after an edit; its previewed outcomes and answer
        clock stay (an edit of the text does not change the schedule)."""
        if self.current is None or view.card.id != self.current.card.id:
            raise ReviewError("Only the card on screen can be replaced by its edited version.")
        self.current = view

    def reveal(self) -> CardView:
        if self.current is None:
            raise ReviewError("No card is shown.")
        self.revealed = True
        return self.current

    def outcomes(self) -> dict[Rating, Outcome]:
        """The previewed outcome of each rating for the current card."""
        if self.current is None:
            raise ReviewError("No card is shown.")
        return dict(self._outcomes)

    def buttons(self) -> list[Button]:
        """1 Again, 2 Hard, 3 Good, 4 Easy, each with its next interval."""
        return [
            Button(rating, str(int(rating)), RATING_NAMES[rating], self._outcomes[rating].label)
            for rating in RATINGS
        ]

    def nothing_due(self) -> NothingDue:
        """When the next card is due and how many are due tomorrow (for an empty queue)."""
        return nothing_due(self.queue, self._now())

    def wait_for_learning(self) -> datetime | None:
        """When the next learning card will be shown (the queue is waiting for it)."""
        return self.queue.next_learning_due()

    # -- actions ---------------------------------------------------------------------------

    def answer(self, rating: Rating | int, *, answer_text: str | None = None) -> AnswerResult:
        """Commit the previewed outcome of `rating` in one transaction."""
        if self.current is None:
            raise ReviewError("No card is shown.")
        try:
            rating = Rating(int(rating))
        except ValueError:
            raise ReviewError("Ratings are 1 Again, 2 Hard, 3 Good, 4 Easy.") from None
        view, kind = self.current, self.current_kind or LEARNING
        now = self._now()
        duration = self._answer_ms()
        outcome = self._outcomes[rating].at(now)
        siblings = self._siblings_to_bury(view)
        for attempt in range(STALE_RETRIES):
            try:
                log_id, tag_added = self._commit(
                    outcome, duration, answer_text, [sibling[0] for sibling in siblings]
                )
                break
            except StaleCard:
                # Another instance changed the card meanwhile: answer its current state.
                fresh = self.store.get_card(view.card.id)
                if fresh is None or attempt == STALE_RETRIES - 1:
                    self.drop_current()
                    raise ReviewError("The card was changed or deleted meanwhile.") from None
                # Its last review may be later than the moment taken before: go on from it.
                now = max(self._now(), fresh.last_review or now)
                outcome = review(self.scheduler_for(fresh), fresh, rating, now)
        after = outcome.after
        leech = is_leech_lapse(outcome, LEECH_THRESHOLD)
        self._undo.append(
            _UndoEntry(
                "answer",
                after.id,
                kind,
                log_id=log_id,
                leech_tag_added=tag_added,
                rating=rating,
                duration_ms=duration,
                siblings=siblings,
            )
        )
        for sibling_id, _kind, _before in siblings:
            self.queue.discard(sibling_id)
        self._count(after.id, rating, duration, kind, +1)
        self.current = None
        self.current_kind = None
        self._outcomes = {}
        if kind_of(after) == LEARNING:
            self.queue.add_learning(after.id, after.due)
        return AnswerResult(
            card=after,
            rating=rating,
            interval_label=format_interval(outcome.interval),
            log_id=log_id,
            leech=leech,
            leech_tag_added=tag_added,
        )

    def _commit(
        self, outcome: Outcome, duration: int, answer_text: str | None, bury: list[int]
    ) -> tuple[int, bool]:
        until = next_study_day_start(outcome.reviewed_at, self.config.day_rollover_hour)
        return self.store.record_review(
            outcome.before,
            outcome.after,
            int(outcome.rating),
            outcome.reviewed_at,
            duration,
            answer_text=answer_text,
            tag_leech=is_leech_lapse(outcome, LEECH_THRESHOLD),
            bury_until=(bury, until) if bury else None,
        )

    def _siblings_to_bury(self, view: CardView) -> tuple[tuple[int, str, datetime | None], ...]:
        """The other cards of this note waiting in today's new or review queue (Anki)."""
        if not self.config.bury_siblings:
            return ()
        found = []
        for card in self.store.cards_of_note(view.card.note_id):
            kind = self.queue.queued_kind(card.id) if card.id != view.card.id else None
            if kind is not None:
                found.append((card.id, kind, card.buried_until))
        return tuple(found)

    def _count(self, card_id: int, rating: Rating, duration: int, kind: str, sign: int) -> None:
        summary = self.summary
        summary.answers += sign
        summary.by_rating[int(rating)] += sign
        summary.time_ms += sign * duration
        if rating == Rating.Again:
            summary.again += sign
        if kind == "new":
            summary.new_cards += sign
        seen = self._reviewed_cards.get(card_id, 0) + sign
        if seen > 0:
            self._reviewed_cards[card_id] = seen
        else:
            self._reviewed_cards.pop(card_id, None)
        summary.cards = len(self._reviewed_cards)

    def drop_current(self) -> None:
        """Forget the card on screen without answering it (an edit removed or suspended
        it); `next_card()` goes on with the queue."""
        self.current = None
        self.current_kind = None
        self._outcomes = {}
        self._paused_at = None

    def _put_back_current(self) -> None:
        """The shown-but-unanswered card goes back to the front of its queue."""
        if self.current is not None and self.current_kind is not None:
            self.queue.push_front(self.current.card.id, self.current_kind, self.current.card.due)
        self.drop_current()

    def bury(self) -> None:
        """Hide the current card until the next study day."""
        view = self._require_current()
        until = next_study_day_start(self._now(), self.config.day_rollover_hour)
        self.store.bury([view.card.id], until)
        self._set_aside(view, "bury")

    def suspend(self) -> None:
        """Suspend the current card (it leaves reviews until unsuspended in Browse)."""
        view = self._require_current()
        self.store.set_suspended([view.card.id], True)
        self._set_aside(view, "suspend")

    def _set_aside(self, view: CardView, action: str) -> None:
        """After burying or suspending: remember how to undo it, then show the next card."""
        self._undo.append(
            _UndoEntry(
                action,
                view.card.id,
                self.current_kind or LEARNING,
                suspended=view.card.suspended,
                buried_until=view.card.buried_until,
            )
        )
        self.queue.discard(view.card.id)
        self.drop_current()

    def _require_current(self) -> CardView:
        if self.current is None:
            raise ReviewError("No card is shown.")
        return self.current

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    def undo(self) -> CardView:
        """Undo the last answer, bury or suspend of this session; that card is shown again."""
        if not self._undo:
            raise UndoError("Nothing to undo in this session.")
        entry = self._undo[-1]
        if entry.kind == "answer":
            assert entry.log_id is not None and entry.rating is not None
            self.store.undo_review(entry.log_id, remove_leech_tag=entry.leech_tag_added)
            self._count(entry.card_id, entry.rating, entry.duration_ms, entry.queue_kind, -1)
            for sibling_id, kind, buried_before in entry.siblings:
                self.store.restore_flags(sibling_id, False, buried_before)
                self.queue.restore(sibling_id, kind)
        else:
            self.store.restore_flags(entry.card_id, entry.suspended, entry.buried_until)
        self._undo.pop()
        self._put_back_current()
        self.queue.discard(entry.card_id)
        view = self.store.card_view(entry.card_id)
        if view is None:
            raise UndoError("The card was deleted meanwhile.")
        self._show(view, entry.queue_kind, self._now())
        return view


def decks_to_study(store: CardStore, now: datetime | None = None) -> list[int]:
    """Decks whose own cards include something to study now (due or new)."""
    counts = store.due_counts(now or clock.now())
    return [deck_id for deck_id, count in counts.items() if count.due or count.new]
