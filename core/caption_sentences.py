"""YouTube captions as sentences: cues are screen-sized fragments, a reader wants sentences.

A caption track arrives as hundreds of two-second fragments that break mid-sentence, with
"- " or ">>" where the speaker changes. Fragments are joined into sentences, each keeping
the time its first word was said (interpolated inside a cue by character position), and a
speaker change always starts a new segment. Tracks without punctuation (older automatic
captions) are cut at pauses and at a length cap instead, so no segment grows unbounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.models import Segment

MAX_SECONDS = 30.0
"""A sentence longer than this (or a run of unpunctuated captions) is cut here."""

PAUSE_SECONDS = 2.0
"""Silence between cues that ends a segment when the track has no punctuation."""

_TURN = re.compile(r"(?:^|(?<=[.!?…\"'”’)\]])\s+)[-–—]\s+|(?:^|\s+)>>\s*")
"""A dash opening a cue or following a sentence end (not a dash inside one), or ">>"."""
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s|$)")


@dataclass(slots=True)
class _Piece:
    text: str
    start: float
    end: float
    turn: bool  # a new speaker starts here
    ends_sentence: bool


def _at(segment: Segment, offset: int, length: int) -> float:
    start = segment.start or 0.0
    end = segment.end if segment.end is not None else start
    return round(start + (end - start) * offset / max(length, 1), 3)


def _pieces(segment: Segment) -> list[_Piece]:
    """One cue cut at speaker turns and sentence ends, each piece timed."""
    text = segment.text
    cuts: list[tuple[int, int, bool]] = []  # (start, end, is_turn) of each marker/boundary
    for match in _TURN.finditer(text):
        cuts.append((match.start(), match.end(), True))
    for match in _SENTENCE_END.finditer(text):
        cuts.append((match.end(), match.end(), False))
    cuts.sort()
    pieces: list[_Piece] = []
    position, turn = 0, False
    for cut_start, cut_end, is_turn in [*cuts, (len(text), len(text), False)]:
        raw = text[position:cut_start]
        chunk = raw.strip()
        if chunk:
            begins = position + len(raw) - len(raw.lstrip())
            pieces.append(
                _Piece(
                    chunk,
                    _at(segment, begins, len(text)),
                    _at(segment, cut_start, len(text)),
                    turn,
                    chunk.rstrip("\"'”’)]").endswith((".", "!", "?", "…")),
                )
            )
            turn = False
        if is_turn:
            turn = True
        position = max(position, cut_end)
    if pieces:
        pieces[-1].end = segment.end if segment.end is not None else pieces[-1].end
    return pieces


def join_into_sentences(segments: list[Segment]) -> list[Segment]:
    """Caption cues joined into sentence segments; a speaker change starts a new one."""
    punctuated = any(_SENTENCE_END.search(segment.text) for segment in segments)
    joined: list[Segment] = []
    current: _Piece | None = None

    def flush() -> None:
        nonlocal current
        if current is not None:
            joined.append(Segment(current.text, current.start, current.end))
            current = None

    for segment in segments:
        for piece in _pieces(segment):
            if current is not None:
                paused = not punctuated and piece.start - current.end >= PAUSE_SECONDS
                too_long = piece.end - current.start > MAX_SECONDS
                if piece.turn or current.ends_sentence or paused or too_long:
                    flush()
            if current is None:
                current = _Piece(piece.text, piece.start, piece.end, piece.turn, False)
            else:
                current.text = f"{current.text} {piece.text}"
                current.end = max(current.end, piece.end)
            current.ends_sentence = piece.ends_sentence
    flush()
    return joined
