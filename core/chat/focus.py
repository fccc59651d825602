"""Which passage a question is about: the learner's selection, else the cursor segment."""

from __future__ import annotations

from core.chat.models import Focus
from core.models import Transcript

SelectedRange = tuple[int, int, int | None, int | None]
"""(first segment, last segment, start char, end char) as the transcript view reports it."""


def focus_from_selection(
    transcript: Transcript,
    selected: SelectedRange | None,
    cursor: int,
    text: str,
) -> Focus | None:
    """The Focus for "ask about selection": the selected range, else the cursor segment.

    `text` is the selected text (it may cut segments short); when it is blank the whole
    segments are used. None for an empty transcript."""
    if not transcript.segments:
        return None
    first, last = (selected[0], selected[1]) if selected else (cursor, cursor)
    text = text.strip() or " ".join(s.text for s in transcript.segments[first : last + 1])
    return Focus(first, last, text)


__all__ = ["SelectedRange", "focus_from_selection"]
