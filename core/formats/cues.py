"""What SRT and WebVTT share: cue blocks, inline tags, voices and rolling-caption dedupe.

The block parser is lenient on purpose: subtitle files are often hand-edited, so a timing
line always starts a new cue (even without the blank line before it), stray text after a
blank line stays with the previous cue instead of being lost, and an index/identifier is
only the single line right before a timing line.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from core.formats.cleanup import collapse
from core.formats.timecode import TIMESTAMP, parse_timestamp
from core.models import Segment

# Used with `.match(text, line_start)`: a whole line `start --> end [settings]`.
TIMING_LINE = re.compile(
    rf"[ \t]*({TIMESTAMP})[ \t]*-->[ \t]*({TIMESTAMP})(?:[ \t][^\n]*)?(?=\n|\Z)"
)


def arrow_lines(text: str) -> Iterator[int]:
    """Start offsets of the lines holding `-->`. Much faster than a multiline `^` regex,
    which tries every character of a 6 MB auto-caption file."""
    find = text.find
    at = find("-->")
    while at != -1:
        yield text.rfind("\n", 0, at) + 1
        end = find("\n", at)
        if end == -1:
            return
        at = find("-->", end)


def timing_lines(text: str) -> list[re.Match[str]]:
    match = TIMING_LINE.match
    return [m for m in (match(text, start) for start in arrow_lines(text)) if m]


# Known caption tags only, so `a < b` or `[bold]` in the text is never mistaken for one.
_TAG = re.compile(
    r"<(?:\d{1,6}(?::\d{1,2}){1,2}[.,]\d{1,3}"
    r"|/?(?i:[ibusvc]|font|span|ruby|rt|rp|lang|em|strong|sup|sub|br)\b[^<>\n]*)>"
)
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?[ \t]+([^<>\n]*)>", re.IGNORECASE)
_INLINE_TIME = re.compile(r"<\d{1,6}(?::\d{1,2}){1,2}[.,]\d{1,3}>")
_YOUTUBE_TAG = re.compile(r"<\d\d:\d\d:\d\d\.\d\d\d>|</?c>")  # the bulk of auto-captions
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
    inline_timing: bool = False  # word-level `<00:00:01.234>` tags (YouTube auto-captions)


def _skipped_block(block: list[str], vtt: bool) -> bool:
    if not vtt or not block:
        return False
    first = block[0].lstrip()
    return any(
        first == word or first.startswith((word + " ", word + "\t")) for word in _VTT_SKIPPED_BLOCKS
    )


def _split_gap(lines: list[str], vtt: bool) -> tuple[list[str], list[list[str]], list[str], bool]:
    """The lines after a timing line: (payload, closed blocks, open block, blank seen).

    Payload runs to the first blank line. Later lines form blocks separated by blank
    lines; the open block sits right before the next timing line, with no blank line in
    between, so its last line is the next cue's identifier (or SRT index). In WebVTT only
    an empty line is blank: YouTube puts lines of one space inside cues."""
    payload: list[str] = []
    blocks: list[list[str]] = []
    block: list[str] = []
    in_payload = True
    for line in lines:
        if not line or (not vtt and not line.strip(" \t")):
            if in_payload:
                in_payload = False
            elif block:
                blocks.append(block)
                block = []
        elif in_payload:
            payload.append(line)
        else:
            block.append(line)
    return payload, blocks, block, not in_payload


def _is_index(line: str) -> bool:
    return line.strip().isdigit()


def parse_blocks(text: str, *, vtt: bool, matches: list[re.Match[str]] | None = None) -> CueFile:
    """Cues with their raw payload lines, in file order (`matches`: the timing lines,
    when the caller already found them)."""
    if matches is None:
        matches = timing_lines(text)
    cues: list[RawCue] = []
    if not matches:
        return CueFile(cues, [line for line in text.split("\n") if line.strip()])
    lead = text[: matches[0].start()].split("\n")[:-1]
    if lead and lead[-1].strip() and (vtt or _is_index(lead[-1])):
        lead.pop()  # the first cue's identifier
    header = [line for line in lead if line.strip()]
    last = len(matches) - 1
    clock: dict[str, float] = {}  # a cue's end is usually the next cue's start
    for i, match in enumerate(matches):
        start_text, end_text = match.group(1, 2)
        start = clock.get(start_text)
        if start is None:
            start = clock[start_text] = parse_timestamp(start_text)
        end = clock.get(end_text)
        if end is None:
            end = clock[end_text] = parse_timestamp(end_text)
        cue = RawCue(start, end)
        cues.append(cue)
        if i < last:
            lines = text[match.end() + 1 : matches[i + 1].start()].split("\n")[:-1]
        else:
            lines = text[match.end() + 1 :].split("\n")
        payload, blocks, open_block, blank_seen = _split_gap(lines, vtt)
        if i < last:
            if open_block:
                if vtt or _is_index(open_block[-1]):
                    open_block.pop()
            elif not blank_seen and payload and _is_index(payload[-1]):
                payload.pop()  # an SRT index typed without the blank line before it
        for block in (*blocks, open_block):
            if block and not _skipped_block(block, vtt):
                payload.extend(block)
        cue.lines = payload
    return CueFile(cues, header, has_inline_timing(text))


CueLine = tuple[str, str | None]  # (text, speaker)


def clean_line(line: str, *, entities: bool) -> CueLine:
    """One payload line without tags, and the name of a `<v Name>` voice tag in it."""
    voice = None
    if "<" in line:
        found = _VOICE.search(line)
        if found:
            voice = collapse(found.group(1))
            if entities and "&" in voice:
                voice = _unescape(voice)
        if "<c>" in line:
            line = _YOUTUBE_TAG.sub("", line)
        if "<" in line:
            line = _TAG.sub("", line)
    if "{\\" in line:
        line = _ASS_OVERRIDE.sub("", line)
    if entities and "&" in line:
        line = _unescape(line)
    return collapse(line), voice or None


def _unescape(text: str) -> str:
    return _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)


def has_inline_timing(text: str) -> bool:
    """YouTube auto-captions mark each word with `<00:00:01.234>`."""
    return _INLINE_TIME.search(text) is not None


def _cleaned(cues: list[RawCue], entities: bool) -> list[list[CueLine]]:
    """Each cue's non-empty lines with their speaker (a voice lasts to the cue's end)."""
    result = []
    cache: dict[str, CueLine] = {}  # rolling captions repeat every line two or three times
    for cue in cues:
        speaker = None
        lines = []
        for raw in cue.lines:
            if raw == " ":  # YouTube's spacer line
                continue
            hit = cache.get(raw)
            if hit is None:
                hit = cache[raw] = clean_line(raw, entities=entities)
            text, voice = hit
            if voice:
                speaker = voice
            if text:
                lines.append((text, speaker))
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
            if lines[0][0] == previous[-1][0]:
                repeats += 1
        previous = lines
    return repeats >= 2 and repeats * 10 >= pairs * 3


def _split_interval(start: float, end: float, lines: list[CueLine]) -> list[Segment]:
    """Several lines (or voices) in one cue: share the cue's time by text length."""
    if len(lines) == 1:
        return [Segment(lines[0][0], start, end, lines[0][1])]
    total = sum(len(text) for text, _ in lines) or 1
    out = []
    at = start
    for i, (text, speaker) in enumerate(lines):
        stop = end if i == len(lines) - 1 else round(at + (end - start) * len(text) / total, 3)
        out.append(Segment(text, at, stop, speaker))
        at = stop
    return out


def _group_voices(lines: list[CueLine]) -> list[CueLine]:
    """Consecutive lines of one speaker become one line of text."""
    groups: list[CueLine] = []
    for text, speaker in lines:
        if groups and groups[-1][1] == speaker:
            groups[-1] = (groups[-1][0] + " " + text, speaker)
        else:
            groups.append((text, speaker))
    return groups


def cues_to_segments(cue_file: CueFile, *, entities: bool) -> list[Segment]:
    """Segments from cues; rolling (YouTube auto) captions give each spoken line once."""
    cues = cue_file.cues
    cleaned = _cleaned(cues, entities)
    segments: list[Segment] = []
    if not (cue_file.inline_timing or _looks_rolling(cleaned)):
        for cue, lines in zip(cues, cleaned, strict=True):
            if len(lines) == 1:
                segments.append(Segment(lines[0][0], cue.start, cue.end, lines[0][1]))
            elif lines:
                segments.extend(_split_interval(cue.start, cue.end, _group_voices(lines)))
        return segments
    tail: list[str] = []  # the last few lines already emitted
    for cue, lines in zip(cues, cleaned, strict=True):
        if not lines:
            continue
        texts = [text for text, _ in lines]
        overlap = 0
        for k in range(min(len(texts), len(tail)), 0, -1):
            if texts[:k] == tail[-k:]:
                overlap = k
                break
        if overlap == len(lines):
            continue  # a hold cue, or a repeat of what was just shown
        if len(lines) - overlap == 1:
            text, speaker = lines[-1]
            segments.append(Segment(text, cue.start, cue.end, speaker))
        else:
            segments.extend(_split_interval(cue.start, cue.end, lines[overlap:]))
        tail.extend(texts[overlap:])
        if len(tail) > 3:
            del tail[:-3]
    return segments
