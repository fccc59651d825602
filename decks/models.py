"""The flashcard domain objects: decks, presets, notes, cards, review log entries.

Plain dataclasses with `to_dict`/`from_dict` (JSON-friendly) so they cross the CLI,
the TUI and tests without surprises. Times are aware UTC datetimes in memory and one
fixed-width ISO text in the database (`to_db_time`), so text order is time order.

Card states follow Anki's numbering: 0 new, then py-fsrs's `State` values 1 learning,
2 review, 3 relearning. py-fsrs has no "new" state (a new card is Learning, step 0, no
stability); keeping our own makes "new cards left today" a cheap indexed query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import IntEnum, StrEnum
from typing import Any

DECK_SEPARATOR = "::"
DEFAULT_DECK = "Default"
DEFAULT_PRESET_ID = 1
LEECH_TAG = "leech"

_DB_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+00:00"


def to_db_time(moment: datetime) -> str:
    """The one stored time format: UTC, microseconds always, `+00:00` (32 characters)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(_DB_TIME_FORMAT)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_epoch_us(moment: datetime) -> int:
    """Microseconds since the Unix epoch (UTC), exactly: the review log's integer times."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MICROSECOND


def from_epoch_us(value: int) -> datetime:
    """The aware UTC datetime `to_epoch_us` made the integer from."""
    return _EPOCH + timedelta(microseconds=value)


def from_db_time(text: str | None) -> datetime | None:
    """Parse a stored time back into an aware datetime whose tzinfo is exactly UTC."""
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _time_out(moment: datetime | None) -> str | None:
    return None if moment is None else to_db_time(moment)


def _time_in(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return from_db_time(to_db_time(value))
    return from_db_time(str(value))


class NoteKind(StrEnum):
    BASIC = "basic"
    REVERSED = "reversed"  # basic with reverse card
    CLOZE = "cloze"


class CardState(IntEnum):
    NEW = 0
    LEARNING = 1
    REVIEW = 2
    RELEARNING = 3

    @property
    def label(self) -> str:
        return self.name.lower()


def normalise_tag(tag: str) -> str:
    """Tags are single words: surrounding space trimmed, inner whitespace made `_`."""
    return "_".join(tag.split())


def normalise_tags(tags: Any) -> tuple[str, ...]:
    """Tags from a list or a comma/space separated string, deduplicated (case-insensitive)."""
    if tags is None:
        return ()
    if isinstance(tags, str):
        tags = tags.replace(",", " ").split()
    seen: dict[str, str] = {}
    for raw in tags:
        for part in str(raw).replace(",", " ").split():
            tag = normalise_tag(part)
            if tag and tag.lower() not in seen:
                seen[tag.lower()] = tag
    return tuple(seen.values())


def normalise_deck_name(name: str) -> str:
    """`A :: B::C ` -> `A::B::C`; raises ValueError on an empty name or an empty part."""
    parts = [" ".join(part.split()) for part in str(name).split(DECK_SEPARATOR)]
    if not parts or any(not part for part in parts):
        raise ValueError(f"{name!r} is not a deck name (use A::B for nesting, no empty parts).")
    return DECK_SEPARATOR.join(parts)


def deck_name_for_title(title: str) -> str:
    """A deck name from a transcript title: `::` in the title does not nest."""
    cleaned = " ".join(title.replace(DECK_SEPARATOR, ":").split())
    return cleaned or DEFAULT_DECK


@dataclass(frozen=True, slots=True)
class Preset:
    """Deck options shared by decks; None = follow the config (or FSRS defaults)."""

    id: int
    name: str
    parameters: tuple[float, ...] | None = None
    desired_retention: float | None = None
    learning_steps: tuple[str, ...] | None = None
    relearning_steps: tuple[str, ...] | None = None
    maximum_interval: int | None = None
    new_per_day: int | None = None
    reviews_per_day: int | None = None
    optimized_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "parameters": None if self.parameters is None else list(self.parameters),
            "desired_retention": self.desired_retention,
            "learning_steps": None if self.learning_steps is None else list(self.learning_steps),
            "relearning_steps": (
                None if self.relearning_steps is None else list(self.relearning_steps)
            ),
            "maximum_interval": self.maximum_interval,
            "new_per_day": self.new_per_day,
            "reviews_per_day": self.reviews_per_day,
            "optimized_at": _time_out(self.optimized_at),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Preset:
        def _tuple(value: Any) -> tuple[Any, ...] | None:
            if value is None:
                return None
            if isinstance(value, str):
                value = value.split()
            return tuple(value)

        params = data.get("parameters")
        return cls(
            id=int(data["id"]),
            name=str(data["name"]),
            parameters=None if params is None else tuple(float(p) for p in params),
            desired_retention=data.get("desired_retention"),
            learning_steps=_tuple(data.get("learning_steps")),
            relearning_steps=_tuple(data.get("relearning_steps")),
            maximum_interval=data.get("maximum_interval"),
            new_per_day=data.get("new_per_day"),
            reviews_per_day=data.get("reviews_per_day"),
            optimized_at=_time_in(data.get("optimized_at")),
        )


@dataclass(frozen=True, slots=True)
class Deck:
    """A deck, named by its full path (`Talks::Physics`)."""

    id: int
    name: str
    parent_id: int | None = None
    preset_id: int = DEFAULT_PRESET_ID
    created_at: datetime | None = None

    @property
    def parts(self) -> list[str]:
        return self.name.split(DECK_SEPARATOR)

    @property
    def leaf(self) -> str:
        """The last part of the name (what a tree view shows)."""
        return self.parts[-1]

    @property
    def depth(self) -> int:
        return len(self.parts) - 1

    def contains(self, other_name: str) -> bool:
        """True for this deck and its subdecks (case-insensitive, as names are unique so)."""
        mine, theirs = self.name.lower(), other_name.lower()
        return theirs == mine or theirs.startswith(mine + DECK_SEPARATOR)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "parent_id": self.parent_id,
            "preset_id": self.preset_id,
            "created_at": _time_out(self.created_at),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Deck:
        return cls(
            id=int(data["id"]),
            name=str(data["name"]),
            parent_id=data.get("parent_id"),
            preset_id=int(data.get("preset_id") or DEFAULT_PRESET_ID),
            created_at=_time_in(data.get("created_at")),
        )


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a note came from: a transcript, a segment range, a time, maybe a highlight.

    `source_id` is None once the transcript is deleted; `source_title` (a snapshot taken
    when the note was made) still says where it came from, and `gone` is then True.
    """

    source_id: int | None
    source_title: str | None = None
    first_segment: int | None = None
    last_segment: int | None = None
    start_s: float | None = None
    highlight_id: int | None = None

    @property
    def gone(self) -> bool:
        return self.source_id is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source_id": self.source_id,
            "source_title": self.source_title,
            "first_segment": self.first_segment,
            "last_segment": self.last_segment,
            "start_s": self.start_s,
            "highlight_id": self.highlight_id,
            "gone": self.gone,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceRef:
        return cls(
            source_id=data.get("source_id"),
            source_title=data.get("source_title"),
            first_segment=data.get("first_segment"),
            last_segment=data.get("last_segment"),
            start_s=data.get("start_s"),
            highlight_id=data.get("highlight_id"),
        )


@dataclass(frozen=True, slots=True)
class Note:
    """What the learner wrote. For cloze notes `front` is the cloze text, `back` the extra.

    `source` is None for a hand-typed note; a SourceRef with `gone` True when its
    transcript was deleted.
    """

    id: int
    guid: str
    kind: NoteKind
    front: str
    back: str = ""
    tags: tuple[str, ...] = ()
    source: SourceRef | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None

    @property
    def is_leech(self) -> bool:
        return any(tag.lower() == LEECH_TAG for tag in self.tags)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "guid": self.guid,
            "kind": self.kind.value,
            "front": self.front,
            "back": self.back,
            "tags": list(self.tags),
            "source": None if self.source is None else self.source.to_dict(),
            "created_at": _time_out(self.created_at),
            "modified_at": _time_out(self.modified_at),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Note:
        source = data.get("source")
        return cls(
            id=int(data["id"]),
            guid=str(data["guid"]),
            kind=NoteKind(data["kind"]),
            front=str(data["front"]),
            back=str(data.get("back") or ""),
            tags=normalise_tags(data.get("tags")),
            source=None if not source else SourceRef.from_dict(source),
            created_at=_time_in(data.get("created_at")),
            modified_at=_time_in(data.get("modified_at")),
        )


# The card columns that make up its scheduling state: stored whole in the review log
# before each review so the review can be undone exactly.
SCHEDULING_FIELDS = (
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


@dataclass(frozen=True, slots=True)
class Card:
    """One reviewable card of a note, with its FSRS scheduling state."""

    id: int
    note_id: int
    ord: int
    deck_id: int
    state: CardState
    due: datetime
    step: int | None = None
    stability: float | None = None
    difficulty: float | None = None
    last_review: datetime | None = None
    reps: int = 0
    lapses: int = 0
    suspended: bool = False
    buried_until: datetime | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None

    @property
    def is_new(self) -> bool:
        return self.state == CardState.NEW

    @property
    def cloze_number(self) -> int:
        """For cloze cards: the `n` of `{{cn::...}}` this card asks."""
        return self.ord + 1

    def is_buried(self, now: datetime) -> bool:
        return self.buried_until is not None and self.buried_until > now

    def scheduling_state(self) -> dict[str, Any]:
        """The JSON stored as `state_before` in the review log."""
        return {
            "state": int(self.state),
            "step": self.step,
            "stability": self.stability,
            "difficulty": self.difficulty,
            "due": to_db_time(self.due),
            "last_review": _time_out(self.last_review),
            "reps": self.reps,
            "lapses": self.lapses,
            "buried_until": _time_out(self.buried_until),
        }

    def to_dict(self) -> dict[str, Any]:
        data = self.scheduling_state()
        data.update(
            {
                "id": self.id,
                "note_id": self.note_id,
                "ord": self.ord,
                "deck_id": self.deck_id,
                "state": CardState(self.state).label,
                "suspended": self.suspended,
                "created_at": _time_out(self.created_at),
                "modified_at": _time_out(self.modified_at),
            }
        )
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Card:
        state = data["state"]
        state = CardState[state.upper()] if isinstance(state, str) else CardState(int(state))
        due = _time_in(data["due"])
        assert due is not None
        return cls(
            id=int(data["id"]),
            note_id=int(data["note_id"]),
            ord=int(data.get("ord", 0)),
            deck_id=int(data["deck_id"]),
            state=state,
            due=due,
            step=data.get("step"),
            stability=data.get("stability"),
            difficulty=data.get("difficulty"),
            last_review=_time_in(data.get("last_review")),
            reps=int(data.get("reps", 0)),
            lapses=int(data.get("lapses", 0)),
            suspended=bool(data.get("suspended", False)),
            buried_until=_time_in(data.get("buried_until")),
            created_at=_time_in(data.get("created_at")),
            modified_at=_time_in(data.get("modified_at")),
        )


@dataclass(frozen=True, slots=True)
class ReviewLog:
    """One answer: which card, the rating (1 Again .. 4 Easy), when, how long, and the
    card's full scheduling state before it (for undo and replay)."""

    id: int
    card_id: int
    rating: int
    reviewed_at: datetime
    duration_ms: int | None
    state_before: dict[str, Any] = field(default_factory=dict)
    answer_text: str | None = None

    @property
    def prior_state(self) -> CardState:
        return CardState(int(self.state_before.get("state", 0)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "card_id": self.card_id,
            "rating": self.rating,
            "reviewed_at": to_db_time(self.reviewed_at),
            "duration_ms": self.duration_ms,
            "state_before": dict(self.state_before),
            "answer_text": self.answer_text,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReviewLog:
        reviewed = _time_in(data["reviewed_at"])
        assert reviewed is not None
        return cls(
            id=int(data["id"]),
            card_id=int(data["card_id"]),
            rating=int(data["rating"]),
            reviewed_at=reviewed,
            duration_ms=data.get("duration_ms"),
            state_before=dict(data.get("state_before") or {}),
            answer_text=data.get("answer_text"),
        )


@dataclass(frozen=True, slots=True)
class CardView:
    """A card with its note and deck name: what review and browse screens show."""

    card: Card
    note: Note
    deck_name: str

    @property
    def id(self) -> int:
        return self.card.id

    @property
    def front(self) -> str:
        """The question side as plain text."""
        from decks import cloze

        note, card = self.note, self.card
        if note.kind == NoteKind.CLOZE:
            return cloze.render_front(note.front, card.cloze_number)
        if note.kind == NoteKind.REVERSED and card.ord == 1:
            return note.back
        return note.front

    @property
    def back(self) -> str:
        """The answer side as plain text (for cloze: the filled text and the extra)."""
        from decks import cloze

        note, card = self.note, self.card
        if note.kind == NoteKind.CLOZE:
            return cloze.render_back(note.front, card.cloze_number, note.back)
        if note.kind == NoteKind.REVERSED and card.ord == 1:
            return note.front
        return note.back

    def to_dict(self) -> dict[str, Any]:
        """Flat JSON for `ponder cards --json` and exports."""
        card, note = self.card, self.note
        source = note.source
        return {
            "id": card.id,
            "note_id": note.id,
            "guid": note.guid,
            "kind": note.kind.value,
            "ord": card.ord,
            "deck": self.deck_name,
            "deck_id": card.deck_id,
            "front": self.front,
            "back": self.back,
            "tags": list(note.tags),
            "state": CardState(card.state).label,
            "suspended": card.suspended,
            "buried_until": _time_out(card.buried_until),
            "due": to_db_time(card.due),
            "last_review": _time_out(card.last_review),
            "stability": card.stability,
            "difficulty": card.difficulty,
            "reps": card.reps,
            "lapses": card.lapses,
            "leech": note.is_leech,
            "source_id": None if source is None else source.source_id,
            "source_title": None if source is None else source.source_title,
            "source_gone": source is not None and source.gone,
            "first_segment": None if source is None else source.first_segment,
            "last_segment": None if source is None else source.last_segment,
            "start_s": None if source is None else source.start_s,
            "highlight_id": None if source is None else source.highlight_id,
            "created_at": _time_out(card.created_at),
        }
