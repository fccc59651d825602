"""The last step of every reader: tidy text, drop empties, order and clamp the timing.

Readers produce rough segments; this makes them obey the model's rules so storage, the
transcript pane and chat citations can rely on them: non-empty single-spaced text, starts
in order, `start <= end <= next start`. Markup brackets and escape codes are left alone.
"""

from __future__ import annotations

import itertools
import math
import re

from core.formats.errors import TranscriptImportError
from core.formats.timecode import estimate_seconds
from core.models import Segment

# Whitespace to collapse. Deliberately not `\s`: that would also eat the C0 separators
# (0x1C-0x1F) and NEL, which we keep verbatim like any other control character.
_SPACES = re.compile(r"[ \t\n\r\f\v\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")


def collapse(text: str) -> str:
    """Single-spaced, trimmed text."""
    if text.isprintable():  # then the only whitespace is U+0020: str.split is exact and fast
        return " ".join(text.split()) if "  " in text else text.strip(" ")
    return _SPACES.sub(" ", text).strip(" ")


def finalize(segments: list[Segment], *, cleaned: bool = False) -> list[Segment]:
    """Clean, sort (stable) and clamp segments; refuses input with no text at all.

    `cleaned=True`: the reader already collapsed whitespace and dropped empty text."""
    if cleaned:
        return _order(segments)
    tidy: list[Segment] = []
    for seg in segments:
        text = collapse(seg.text)
        if not text:
            continue
        speaker = collapse(seg.speaker) if seg.speaker else None
        if text != seg.text or speaker != seg.speaker:
            seg = Segment(text, seg.start, seg.end, speaker or None)
        tidy.append(seg)
    return _order(tidy)


def _order(segments: list[Segment]) -> list[Segment]:
    if not segments:
        raise TranscriptImportError("no transcript text found")
    timed = [seg.start is not None for seg in segments]
    if not any(timed):
        return [Segment(s.text, None, None, s.speaker) for s in segments]
    if not all(timed):
        raise TranscriptImportError("some segments have times and others do not")
    return clamp(segments)


def clamp(segments: list[Segment]) -> list[Segment]:
    """Stable-sort timed segments by start and make every end fall in [start, next start]."""
    for seg in segments:
        for value in (seg.start, seg.end):
            if value is not None and not math.isfinite(value):
                raise TranscriptImportError("a segment has a time that is not a finite number")
    starts = [max(0.0, seg.start or 0.0) for seg in segments]
    if any(b < a for a, b in itertools.pairwise(starts)):
        order = sorted(range(len(segments)), key=starts.__getitem__)
        segments = [segments[i] for i in order]
        starts = [starts[i] for i in order]
    out: list[Segment] = []
    last = len(segments) - 1
    for i, seg in enumerate(segments):
        start = starts[i]
        end = seg.end
        if end is None:
            end = starts[i + 1] if i < last else start + estimate_seconds(seg.text)
        if i < last and end > starts[i + 1]:
            end = starts[i + 1]
        if end < start:
            end = start
        if start != seg.start or end != seg.end:
            seg = Segment(seg.text, start, end, seg.speaker)
        out.append(seg)
    return out
