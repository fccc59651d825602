"""What a card brings along: its passage in the source transcript and its text as words.

The source view shows the passage with a few segments around it, the card chat sends it
as the question's focus and free-recall grading compares a typed answer against it, so
all three read the same segments through `card_range` (no Textual here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.chat.models import Focus
from core.models import Segment, Source, Transcript
from decks import cloze
from decks.models import CardView, NoteKind, SourceRef

if TYPE_CHECKING:
    from core.library import Library

CONTEXT = 3  # segments shown before and after the card's passage


@dataclass(frozen=True, slots=True)
class Passage:
    """The window of segments to show and which of them the card covers."""

    source: Source
    segments: list[tuple[int, Segment]]  # (index in the transcript, segment)
    first: int
    last: int

    @property
    def start_s(self) -> float | None:
        for index, segment in self.segments:
            if index == self.first:
                return segment.start
        return None


def card_range(ref: SourceRef, segments: list[Segment]) -> tuple[int, int]:
    """The card's segments (clamped); from its start time when no range was stored."""
    count = len(segments)
    if count == 0:
        return 0, -1
    first, last = ref.first_segment, ref.last_segment
    if first is None and ref.start_s is not None:
        first = 0
        for index, segment in enumerate(segments):
            if segment.start is not None and segment.start <= ref.start_s:
                first = index
    first = min(max(0, first or 0), count - 1)
    last = first if last is None else min(max(first, last), count - 1)
    return first, last


def load_passage(library: Library, ref: SourceRef, context: int = CONTEXT) -> Passage | None:
    """The passage of `ref` from the library, or None when the transcript is gone."""
    if ref.source_id is None:
        return None
    source = library.source(ref.source_id)
    if source is None:
        return None
    segments = library.segments(ref.source_id)
    first, last = card_range(ref, segments)
    low, high = max(0, first - context), min(len(segments) - 1, last + context)
    window = [(index, segments[index]) for index in range(low, high + 1)]
    return Passage(source, window, first, last)


def card_texts(view: CardView) -> tuple[str, str]:
    """(question, answer) of a card as plain text: a cloze's asked part as `[...]` on the
    front and filled in on the back."""
    note = view.note
    if note.kind == NoteKind.CLOZE:
        number = view.card.cloze_number
        front = "".join(p.text for p in cloze.parts(note.front, number, reveal=False))
        back = "".join(p.text for p in cloze.parts(note.front, number, reveal=True))
        if note.back.strip():
            back += "\n" + note.back.strip()
        return front, back
    return view.front, view.back


def card_focus(view: CardView, transcript: Transcript) -> Focus | None:
    """The card's source passage as a chat focus (its segment range and their text)."""
    ref = view.note.source
    if ref is None or not transcript.segments:
        return None
    first, last = card_range(ref, transcript.segments)
    if last < first:
        return None
    text = " ".join(s.text.strip() for s in transcript.segments[first : last + 1])
    return Focus(first, last, text)


__all__ = ["CONTEXT", "Passage", "card_focus", "card_range", "card_texts", "load_passage"]
