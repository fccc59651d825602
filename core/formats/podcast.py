"""Speaker-labelled transcripts: `Name [HH:MM:SS]:` (or `[MM:SS]`) then paragraphs.

The shape podcast sites, Rev/Descript (`Name (00:01:02):`), Otter (`Name  0:01`) and
YouTube's copied "Show transcript" panel (a bare `0:01` line above each caption) share:
a header with a start time, then text until the next header. A turn ends when the next
one starts; the last one gets an estimate from its word count. Paragraphs in a long turn
become separate segments with times shared out by word count.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from core.formats.cleanup import collapse, finalize
from core.formats.plaintext import paragraph_pieces
from core.formats.result import Parsed
from core.formats.timecode import estimate_seconds, parse_timestamp
from core.models import Segment

_TS = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
_NAME = r"[^\s\[\]():][^\[\]():\n]{0,59}?"
_BRACKETED = re.compile(
    rf"^[ \t]*(?:(?P<name>{_NAME})[ \t]*)?[\[(](?P<ts>{_TS})[\])][ \t]*(?P<colon>:?)[ \t]*"
    r"(?P<rest>.*)$"
)
_BARE = re.compile(rf"^[ \t]*(?:(?P<name>{_NAME})[ \t]{{2,}})?(?P<ts>{_TS})[ \t]*:?[ \t]*$")
_NOT_IN_NAMES = set(',;!?"“”<>{}|=*#')
_MAX_NAME_WORDS = 6


@dataclass(frozen=True, slots=True)
class Header:
    index: int  # line number
    speaker: str | None
    start: float
    rest: str  # text on the header line after the time


def _valid_name(name: str) -> bool:
    if not any(ch.isalpha() for ch in name) or name.endswith((".", "-")):
        return False
    return len(name.split()) <= _MAX_NAME_WORDS and not (_NOT_IN_NAMES & set(name))


def match_header(line: str, index: int) -> Header | None:
    if ":" not in line:
        return None
    match = _BRACKETED.match(line) or _BARE.match(line)
    if not match:
        return None
    name = match.group("name")
    if name is not None:
        name = collapse(name)
        if not _valid_name(name):
            return None
    rest = (match.groupdict().get("rest") or "").strip()
    if name is not None and rest and not match.groupdict().get("colon"):
        return None  # "we met at (12:30) for lunch" is prose, not a header
    return Header(index, name or None, parse_timestamp(match.group("ts")), rest)


def scan_headers(lines: list[str]) -> list[Header]:
    headers = []
    for index, line in enumerate(lines):
        header = match_header(line, index)
        if header is not None:
            headers.append(header)
    return headers


def looks_like_podcast(lines: list[str], nonblank: int) -> list[Header] | None:
    """The headers, if they come from the start, in time order, frequent enough to
    structure the text; else None."""
    headers = scan_headers(lines)
    return headers if _structures(headers, lines, nonblank) else None


def _structures(headers: list[Header], lines: list[str], nonblank: int) -> bool:
    if not headers:
        return False
    before_first = sum(1 for line in lines[: headers[0].index] if line.strip())
    if before_first > 4:
        return False
    if len(headers) == 1:
        only = headers[0]
        return before_first == 0 and only.speaker is not None and not only.rest
    ordered = sum(1 for a, b in itertools.pairwise(headers) if b.start >= a.start)
    if ordered * 5 < (len(headers) - 1) * 4:
        return False
    return len(headers) * 50 >= nonblank


def _paragraphs(lines: list[str]) -> list[str]:
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(line)
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def parse_podcast(text: str, headers: list[Header] | None = None) -> Parsed:
    lines = text.split("\n")
    if headers is None:
        headers = scan_headers(lines)
    title = None
    segments: list[Segment] = []
    turns: list[tuple[Header, list[str]]] = []
    for i, header in enumerate(headers):
        stop = headers[i + 1].index if i + 1 < len(headers) else len(lines)
        body = ([header.rest] if header.rest else []) + lines[header.index + 1 : stop]
        turns.append((header, body))
    preamble = [line for line in lines[: headers[0].index if headers else 0] if line.strip()]
    if len(preamble) == 1 and len(preamble[0]) <= 150:
        title = collapse(preamble[0])
    elif preamble:
        first = min(h.start for h in headers)
        segments.append(Segment(" ".join(preamble), 0.0, first))
    turns.sort(key=lambda turn: turn[0].start)
    for i, (header, body) in enumerate(turns):
        pieces = [piece for para in _paragraphs(body) for piece in paragraph_pieces(para)]
        if not pieces:
            continue
        start = header.start
        following = turns[i + 1][0].start if i + 1 < len(turns) else None
        if following is not None and following >= start:
            end = following
        else:
            end = start + estimate_seconds(" ".join(pieces))
        words = [max(1, len(piece.split())) for piece in pieces]
        total = sum(words)
        at = start
        for j, piece in enumerate(pieces):
            stop = end if j == len(pieces) - 1 else round(at + (end - start) * words[j] / total, 3)
            segments.append(Segment(piece, at, stop, header.speaker))
            at = stop
    return Parsed("podcast", finalize(segments), title=title)
