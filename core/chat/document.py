"""The transcript as a Claude `document` block, and citations mapped back to segments.

Segments are grouped into small text blocks (a few sentences each, never across a speaker
change), each starting with its timestamp (`[00:12:34]`, or `[¶12]` when untimed). Claude
cites `content_block_location` ranges of those blocks; `DocumentMap` turns a block range
back into a segment range. The block carries `cache_control`, so every later request on
the same transcript (same excerpt) reads it from the prompt cache.

When a transcript is over the token budget, `window_around` picks the part around the
cursor; the document's `context` then says which part it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.chat.models import Citation
from core.models import Segment, Transcript, format_timestamp

BLOCK_CHARS = 350  # target size of one cited block: a few sentences, ~20-30 s of speech
MAX_BLOCK_SEGMENTS = 12


def segment_label(segments: list[Segment], index: int) -> str:
    """`hh:mm:ss` of a segment's start, or `¶N` (1-based) when it has no time."""
    if 0 <= index < len(segments) and segments[index].start is not None:
        return format_timestamp(segments[index].start)
    return f"¶{index + 1}"


@dataclass(frozen=True, slots=True)
class DocumentMap:
    """Which segments each text block of the document holds (inclusive ranges)."""

    blocks: tuple[tuple[int, int], ...]

    def segments_for(self, start_block: int, end_block: int) -> tuple[int, int] | None:
        """Segment range of blocks start..end (exclusive), clamped; None if out of range."""
        if not self.blocks:
            return None
        first = min(max(start_block, 0), len(self.blocks) - 1)
        last = min(max(end_block - 1, first), len(self.blocks) - 1)
        if start_block >= len(self.blocks):
            return None
        return self.blocks[first][0], self.blocks[last][1]

    @property
    def first_segment(self) -> int:
        return self.blocks[0][0] if self.blocks else 0

    @property
    def last_segment(self) -> int:
        return self.blocks[-1][1] if self.blocks else -1


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    """A document block ready to send, with its block map and what part it covers."""

    block: dict[str, Any]
    map: DocumentMap
    window: tuple[int, int] | None  # None: the whole transcript
    total_chars: int

    @property
    def excerpt(self) -> bool:
        return self.window is not None


def _segment_text(segment: Segment, previous: Segment | None) -> str:
    text = " ".join(segment.text.split())
    if segment.speaker and (previous is None or previous.speaker != segment.speaker):
        return f"{segment.speaker}: {text}"
    return text


def group_segments(
    segments: list[Segment],
    first: int = 0,
    last: int | None = None,
    *,
    block_chars: int = BLOCK_CHARS,
) -> list[tuple[int, int]]:
    """Inclusive segment ranges, one per block: ~block_chars each, split at speaker changes."""
    last = len(segments) - 1 if last is None else min(last, len(segments) - 1)
    groups: list[tuple[int, int]] = []
    start = first
    size = 0
    for index in range(first, last + 1):
        segment = segments[index]
        if index > start and (
            size >= block_chars
            or index - start >= MAX_BLOCK_SEGMENTS
            or segment.speaker != segments[index - 1].speaker
        ):
            groups.append((start, index - 1))
            start = index
            size = 0
        size += len(segment.text) + 1
    if last >= first:
        groups.append((start, last))
    return groups


def block_texts(segments: list[Segment], groups: list[tuple[int, int]]) -> list[str]:
    texts = []
    for first, last in groups:
        parts = [
            _segment_text(segments[i], segments[i - 1] if i > first else None)
            for i in range(first, last + 1)
        ]
        body = " ".join(p for p in parts if p) or "…"
        texts.append(f"[{segment_label(segments, first)}] {body}")
    return texts


def transcript_chars(transcript: Transcript) -> int:
    """A cheap size estimate of the whole document (characters)."""
    return sum(len(s.text) + 1 for s in transcript.segments) + 12 * (
        len(transcript.segments) // 3 + 1
    )


def span_text(transcript: Transcript, first: int, last: int) -> str:
    """`01:02:03–02:10:00` (or `¶12–¶80`) for a segment range."""
    segments = transcript.segments
    if not segments:
        return ""
    start = segments[first].start
    end_segment = segments[last]
    end = end_segment.end if end_segment.end is not None else end_segment.start
    if start is None or end is None:
        return f"¶{first + 1}–¶{last + 1}"
    return f"{format_timestamp(start)}–{format_timestamp(end)}"


def excerpt_context(transcript: Transcript, window: tuple[int, int]) -> str:
    """`excerpt: 01:02:03–02:10:00 of 10:00:00`, what the document context says."""
    first, last = window
    duration = transcript.duration_s
    whole = (
        format_timestamp(duration)
        if duration is not None and transcript.timed
        else f"¶{len(transcript.segments)}"
    )
    return (
        f"excerpt: {span_text(transcript, first, last)} of {whole}. The transcript is too "
        "long to send whole; this is the part around where the learner is reading. Say so "
        "if the answer may lie outside it."
    )


def build_document(
    transcript: Transcript,
    window: tuple[int, int] | None = None,
    *,
    block_chars: int = BLOCK_CHARS,
) -> PreparedDocument:
    """The `document` content block (citations on, cache_control) and its block map."""
    segments = transcript.segments
    first, last = window if window else (0, len(segments) - 1)
    groups = group_segments(segments, first, last, block_chars=block_chars)
    texts = block_texts(segments, groups)
    if not texts:
        texts = ["[¶1] (empty transcript)"]
        groups = [(0, 0)]
    title = " ".join(transcript.source.title.split()) or "Transcript"
    block: dict[str, Any] = {
        "type": "document",
        "source": {
            "type": "content",
            "content": [{"type": "text", "text": text} for text in texts],
        },
        "title": title,
        "citations": {"enabled": True},
        "cache_control": {"type": "ephemeral"},
    }
    if window is not None:
        block["context"] = excerpt_context(transcript, window)
    return PreparedDocument(
        block=block,
        map=DocumentMap(tuple(groups)),
        window=window,
        total_chars=sum(len(t) for t in texts),
    )


def window_around(
    transcript: Transcript,
    cursor: int,
    max_chars: int,
    *,
    snap: int = 8,
) -> tuple[int, int]:
    """An inclusive segment range of at most ~max_chars centred on the cursor.

    The centre snaps to one of `snap` positions per window width, so moving the cursor a
    little picks the same excerpt (and the prompt cache keeps working).
    """
    segments = transcript.segments
    if not segments:
        return (0, 0)
    cursor = min(max(cursor, 0), len(segments) - 1)
    sizes = [len(s.text) + 13 for s in segments]
    total = sum(sizes)
    if total <= max_chars:
        return (0, len(segments) - 1)
    # Snap the centre to a grid measured in characters.
    offsets = []
    running = 0
    for size in sizes:
        offsets.append(running)
        running += size
    step = max(max_chars // snap, 1)
    centre_chars = (offsets[cursor] // step) * step + step // 2
    centre = min(range(len(segments)), key=lambda i: abs(offsets[i] - centre_chars))
    first = last = centre
    used = sizes[centre]
    while True:
        grew = False
        if first > 0 and used + sizes[first - 1] <= max_chars:
            first -= 1
            used += sizes[first]
            grew = True
        if last < len(segments) - 1 and used + sizes[last + 1] <= max_chars:
            last += 1
            used += sizes[last]
            grew = True
        if not grew:
            break
    # Make sure the cursor itself is inside (snapping may have moved the centre away).
    if cursor < first:
        first, last = cursor, max(cursor, last - (first - cursor))
    elif cursor > last:
        first, last = min(cursor, first + (cursor - last)), cursor
    return (first, last)


def citation_for(
    transcript: Transcript,
    document_map: DocumentMap,
    start_block: int,
    end_block: int,
    cited_text: str,
    *,
    start: int = 0,
    end: int = 0,
) -> Citation | None:
    """A segment-level Citation for a block range, or None if it points nowhere."""
    found = document_map.segments_for(start_block, end_block)
    if found is None:
        return None
    first, last = found
    return Citation(
        first_segment=first,
        last_segment=last,
        cited_text=cited_text,
        label=segment_label(transcript.segments, first),
        start=start,
        end=end,
    )
