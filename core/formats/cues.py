"""What SRT and WebVTT share: cue blocks, inline tags, voices and rolling-caption dedupe.

The block parser is lenient on purpose: subtitle files are often hand-edited, so a timing
line always starts a new cue (even without the blank line before it), stray text after a
blank line stays with the previous cue instead of being lost, and an index/identifier is
only the single line right before a timing line.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from core.formats.cleanup import collapse
from core.formats.timecode import TIMESTAMP, parse_timestamp
from core.models import Segment

TIMING_LINE = re.compile(rf"^[ \t]*({TIMESTAMP})[ \t]*-->[ \t]*({TIMESTAMP})(?:[ \t].*)?$")

# Known caption tags only, so `a < b` or `[bold]` in the text is never mistaken for one.
_TAG = re.compile(
    r"</?(?:[ibusvc]|font|span|ruby|rt|rp|lang|em|strong|sup|sub|br)\b[^<>\n]*>"
    r"|<\d{1,6}(?::\d{1,2}){1,2}[.,]\d{1,3}>",
    re.IGNORECASE,
)
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?[ \t]+([^<>\n]*)>", re.IGNORECASE)
_INLINE_TIME = re.compile(r"<\d{1,6}(?::\d{1,2}){1,2}[.,]\d{1,3}>")
_ASS_OVERRIDE = re.compile(r"\{\\[^{}\n]*\}")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_VTT_SKIPPED_BLOCKS = ("NOTE", "STYLE", "REGION")


@dataclass(slots=True)
class RawCue:
    start: float
    end: float
    lines: list[str] = field(default_factory=list)


@dataclass(slots=True)
class CueFile:
    cues: list[RawCue]
    header: list[str]  # lines before the first cue (the WebVTT header block)


def _skipped_block(block: list[str], vtt: bool) -> bool:
    if not vtt or not block:
        return False
    first = block[0].lstrip()
    return any(
        first == word or first.startswith((word + " ", word + "\t")) for word in _VTT_SKIPPED_BLOCKS
    )


def parse_blocks(text: str, *, vtt: bool) -> CueFile:
    """Cues with their raw payload lines, in file order."""
    cues: list[RawCue] = []
    header: list[str] = []
    current: RawCue | None = None
    in_payload = False
    closed: list[list[str]] = []  # blocks after a blank line, waiting for the next cue
    open_block: list[str] = []

    def flush_gap(identifier_taken: bool) -> None:
        blocks = [*closed, open_block] if open_block else list(closed)
        if identifier_taken and blocks:
            blocks[-1] = blocks[-1][:-1]
        for block in blocks:
            if not block or _skipped_block(block, vtt):
                continue
            if current is None:
                header.extend(block)
            else:
                current.lines.extend(block)
        closed.clear()
        open_block.clear()

    for line in text.split("\n"):
        match = TIMING_LINE.match(line) if "-->" in line else None
        if match:
            if in_payload:
                if current is not None and current.lines and current.lines[-1].strip().isdigit():
                    current.lines.pop()  # an SRT index typed without the blank line before it
            else:
                taken = bool(open_block) and (vtt or open_block[-1].strip().isdigit())
                flush_gap(taken)
            current = RawCue(parse_timestamp(match.group(1)), parse_timestamp(match.group(2)))
            cues.append(current)
            in_payload = True
        elif not line.strip():
            if in_payload:
                in_payload = False
            elif open_block:
                closed.append(list(open_block))
                open_block.clear()
        elif in_payload and current is not None:
            current.lines.append(line)
        else:
            open_block.append(line)
    if not in_payload:
        flush_gap(False)
    return CueFile(cues, header)


@dataclass(slots=True)
class CueLine:
    text: str
    speaker: str | None


def clean_line(line: str, speaker: str | None, *, entities: bool) -> CueLine:
    """One payload line without tags; a `<v Name>` tag sets the speaker from here on."""
    if "<" in line:
        voice = _VOICE.search(line)
        if voice:
            name = collapse(voice.group(1))
            if entities and "&" in name:
                name = _unescape(name)
            speaker = name or speaker
        line = _TAG.sub("", line)
    if "{\\" in line:
        line = _ASS_OVERRIDE.sub("", line)
    if entities and "&" in line:
        line = _unescape(line)
    return CueLine(collapse(line), speaker)


def _unescape(text: str) -> str:
    return _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)


def has_inline_timing(cues: list[RawCue]) -> bool:
    """YouTube auto-captions mark each word with `<00:00:01.234>`."""
    for cue in cues:
        for line in cue.lines:
            if "<" in line and _INLINE_TIME.search(line):
                return True
    return False


def _cleaned(cues: list[RawCue], entities: bool) -> list[list[CueLine]]:
    result = []
    for cue in cues:
        speaker = None
        lines = []
        for raw in cue.lines:
            line = clean_line(raw, speaker, entities=entities)
            speaker = line.speaker
            if line.text:
                lines.append(line)
        result.append(lines)
    return result


def _looks_rolling(cleaned: list[list[CueLine]]) -> bool:
    """Rolling captions repeat the previous cue's last line as their first line."""
    repeats = pairs = 0
    previous: list[CueLine] = []
    for lines in cleaned:
        if not lines:
            continue
        if previous:
            pairs += 1
            if lines[0].text == previous[-1].text:
                repeats += 1
        previous = lines
    return repeats >= 2 and repeats * 10 >= pairs * 3


def _split_interval(start: float, end: float, lines: list[CueLine]) -> list[Segment]:
    """Several lines (or voices) in one cue: share the cue's time by text length."""
    if len(lines) == 1:
        return [Segment(lines[0].text, start, end, lines[0].speaker)]
    total = sum(len(line.text) for line in lines) or 1
    out = []
    at = start
    for i, line in enumerate(lines):
        stop = end if i == len(lines) - 1 else round(at + (end - start) * len(line.text) / total, 3)
        out.append(Segment(line.text, at, stop, line.speaker))
        at = stop
    return out


def _group_voices(lines: list[CueLine]) -> list[CueLine]:
    """Consecutive lines of one speaker become one line of text."""
    groups: list[CueLine] = []
    for line in lines:
        if groups and groups[-1].speaker == line.speaker:
            groups[-1] = CueLine(groups[-1].text + " " + line.text, line.speaker)
        else:
            groups.append(line)
    return groups


def cues_to_segments(cues: list[RawCue], *, entities: bool) -> list[Segment]:
    """Segments from cues; rolling (YouTube auto) captions give each spoken line once."""
    cleaned = _cleaned(cues, entities)
    rolling = has_inline_timing(cues) or _looks_rolling(cleaned)
    segments: list[Segment] = []
    if not rolling:
        for cue, lines in zip(cues, cleaned, strict=True):
            if lines:
                segments.extend(_split_interval(cue.start, cue.end, _group_voices(lines)))
        return segments
    tail: list[str] = []  # the last few lines already emitted
    for cue, lines in zip(cues, cleaned, strict=True):
        texts = [line.text for line in lines]
        overlap = 0
        for k in range(min(len(texts), len(tail)), 0, -1):
            if texts[:k] == tail[-k:]:
                overlap = k
                break
        fresh = lines[overlap:]
        if not fresh:
            continue
        segments.extend(_split_interval(cue.start, cue.end, fresh))
        tail = (tail + [line.text for line in fresh])[-3:]
    return segments
