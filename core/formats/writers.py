"""Transcripts out: plain text, SRT, WebVTT, JSON and Markdown.

SRT and WebVTT need times, so an untimed (plain text) transcript is refused for them
rather than given invented ones. JSON is Ponder's own shape and reads back unchanged.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from core.formats.cleanup import collapse
from core.formats.errors import TranscriptExportError
from core.formats.timecode import estimate_seconds, format_clock, format_short
from core.models import Segment, Transcript
from core.youtube import watch_url

EXPORT_FORMATS = ("text", "srt", "vtt", "json", "md")
EXPORT_EXTENSIONS = {"text": ".txt", "srt": ".srt", "vtt": ".vtt", "json": ".json", "md": ".md"}
_ALIASES = {"txt": "text", "webvtt": "vtt", "markdown": "md"}
UNTIMED_MESSAGE = "this transcript has no timing; export as text, json or md"

_PARAGRAPH_CHARS = 600
_PARAGRAPH_MAX = 1200
_PARAGRAPH_PAUSE = 5.0  # seconds of silence that start a new paragraph
_SENTENCE_END = (".", "!", "?", "…", '"', "”", "’", "。", "！", "？")


def export(transcript: Transcript, fmt: str, *, timestamps: bool = False) -> str:
    """The transcript written as `fmt` (one of EXPORT_FORMATS).

    `timestamps` only matters for "text": each paragraph then starts with its time, in the
    speaker-header shape the podcast reader understands, so it can be imported again.
    """
    name = _ALIASES.get(fmt.strip().lower(), fmt.strip().lower())
    if name == "text":
        return to_text(transcript, timestamps=timestamps)
    if name == "srt":
        return to_srt(transcript)
    if name == "vtt":
        return to_vtt(transcript)
    if name == "json":
        return to_json(transcript)
    if name == "md":
        return to_markdown(transcript)
    raise TranscriptExportError(
        f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}"
    )


def _timed_cues(segments: list[Segment]) -> list[tuple[float, float, Segment]]:
    """(start, end, segment) with every end known; refuses untimed transcripts."""
    if not segments:
        return []
    if any(seg.start is None for seg in segments):
        raise TranscriptExportError(UNTIMED_MESSAGE)
    cues = []
    last = len(segments) - 1
    for i, seg in enumerate(segments):
        start = float(seg.start or 0.0)
        end = seg.end
        if end is None:
            following = segments[i + 1].start if i < last else None
            end = following if following is not None else start + estimate_seconds(seg.text)
        cues.append((start, max(start, float(end)), seg))
    return cues


def _one_line(text: str) -> str:
    return collapse(text.replace("\n", " "))


def to_srt(transcript: Transcript) -> str:
    parts = []
    for number, (start, end, seg) in enumerate(_timed_cues(transcript.segments), start=1):
        parts.append(
            f"{number}\n{format_clock(start, decimal=',')} --> {format_clock(end, decimal=',')}\n"
            f"{_one_line(seg.text)}\n"
        )
    return "\n".join(parts)


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(transcript: Transcript) -> str:
    header = "WEBVTT"
    language = transcript.source.language
    if language and re.fullmatch(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*", language):
        header += f"\nLanguage: {language}"
    parts = [header + "\n"]
    for start, end, seg in _timed_cues(transcript.segments):
        text = _vtt_escape(_one_line(seg.text))
        if seg.speaker:
            text = f"<v {_vtt_escape(_one_line(seg.speaker))}>{text}"
        parts.append(f"{format_clock(start)} --> {format_clock(end)}\n{text}\n")
    return "\n".join(parts)


def to_json(transcript: Transcript) -> str:
    source = transcript.source
    data = {
        "title": source.title,
        "origin": source.origin,
        "video_id": source.video_id,
        "language": source.language,
        "segments": [seg.to_dict() for seg in transcript.segments],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


@dataclass(slots=True)
class Paragraph:
    speaker: str | None
    start: float | None
    text: str


def paragraphs(segments: list[Segment]) -> list[Paragraph]:
    """Readable paragraphs: short timed captions of one speaker are joined (ending at a
    sentence when possible); untimed segments are already paragraphs and stay as they are."""
    out: list[Paragraph] = []
    previous_end: float | None = None
    for seg in segments:
        text = _one_line(seg.text)
        if not text:
            continue
        paused = (
            seg.start is not None
            and previous_end is not None
            and seg.start - previous_end >= _PARAGRAPH_PAUSE
        )
        previous_end = seg.end if seg.end is not None else seg.start
        if out and seg.start is not None and out[-1].speaker == seg.speaker and not paused:
            current = out[-1]
            size = len(current.text)
            ended = current.text.endswith(_SENTENCE_END)
            if size + len(text) < _PARAGRAPH_CHARS or (not ended and size < _PARAGRAPH_MAX):
                current.text = f"{current.text} {text}"
                continue
        out.append(Paragraph(seg.speaker, seg.start, text))
    return out


def to_text(transcript: Transcript, *, timestamps: bool = False) -> str:
    blocks = []
    previous: str | None = None
    for para in paragraphs(transcript.segments):
        if timestamps and para.start is not None:
            clock = format_short(para.start)
            if para.speaker:
                blocks.append(f"{_one_line(para.speaker)} [{clock}]:\n{para.text}")
            else:
                blocks.append(f"[{clock}] {para.text}")
        elif para.speaker and para.speaker != previous:
            blocks.append(f"{_one_line(para.speaker)}:\n{para.text}")
        else:
            blocks.append(para.text)
        previous = para.speaker
    return "\n\n".join(blocks) + "\n" if blocks else ""


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
_MD_LINE_START = re.compile(r"^(?:([#+\-=>])|(\d+)([.)]))")


def md_escape(text: str) -> str:
    """Text that Markdown shows literally (no emphasis, links, HTML or headings)."""
    escaped = _MD_SPECIAL.sub(r"\\\1", _one_line(text))
    return _MD_LINE_START.sub(
        lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\" + m.group(3), escaped
    )


def _is_url(origin: str) -> bool:
    return bool(re.match(r"^https?://[^\s<>()]+$", origin))


def to_markdown(transcript: Transcript) -> str:
    source = transcript.source
    lines = [f"# {md_escape(source.title) or 'Transcript'}", ""]
    if source.origin:
        if _is_url(source.origin):
            lines += [f"Source: <{source.origin}>", ""]
        else:
            lines += [f"Source: {md_escape(source.origin)}", ""]
    for para in paragraphs(transcript.segments):
        clock = None
        if para.start is not None:
            clock = f"[{format_short(para.start)}]"
            if source.video_id and re.fullmatch(r"[A-Za-z0-9_-]{11}", source.video_id):
                url = watch_url(source.video_id, para.start)
                clock = f"[{format_short(para.start)}]({url})"
        text = md_escape(para.text)
        if para.speaker:
            head = f"**{md_escape(para.speaker)}**" + (f" {clock}" if clock else "")
            lines += [head, text, ""]
        elif clock:
            lines += [f"{clock} {text}", ""]
        else:
            lines += [text, ""]
    return "\n".join(lines).rstrip("\n") + "\n"
