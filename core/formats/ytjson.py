"""JSON transcripts, recognised by shape.

- youtube-transcript-api: `[{"text", "start", "duration"}]`, or that wrapped as
  `{"snippets": [...]}` (a FetchedTranscript's `to_raw_data()` / dataclass dump);
- Ponder's own export (`ponder show --format json`) and openai-whisper's JSON:
  `{"title": ..., "segments": [{"start", "end", "speaker", "text"}]}`;
- YouTube's json3 caption track: `{"events": [{"tStartMs", "dDurationMs", "segs": [...]}]}`.
"""

from __future__ import annotations

import math
import re
from typing import Any

from core.formats.cleanup import finalize
from core.formats.errors import TranscriptImportError
from core.formats.result import Parsed
from core.formats.timecode import TIMESTAMP, parse_timestamp
from core.models import Segment

FORMAT = "youtube-json"
_CLOCK = re.compile(rf"^\s*{TIMESTAMP}\s*$")
_NOT_A_TRANSCRIPT = (
    "this JSON is not a transcript (expected a list of {text, start, duration}"
    " or an object with a segments list)"
)


def _seconds(value: Any, what: str, position: int) -> float | None:
    if value is None:
        return None
    number: float | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an integer with hundreds of digits
            number = None
    elif isinstance(value, str):
        text = value.strip()
        if _CLOCK.match(text):
            number = parse_timestamp(text)
        else:
            try:
                number = float(text)
            except (ValueError, OverflowError):
                number = None
    if number is None or not math.isfinite(number):
        raise TranscriptImportError(f"segment {position}: {what} is not a number of seconds")
    if number < 0:
        raise TranscriptImportError(f"segment {position}: {what} is negative")
    return round(number, 3)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise TranscriptImportError("a segment's text is not a string")


def _optional_str(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _from_items(items: list[Any]) -> list[Segment]:
    segments = []
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise TranscriptImportError(f"segment {position} is not an object")
        if "text" not in item:
            raise TranscriptImportError(f"segment {position} has no text")
        text = _text(item["text"])
        start = _seconds(item.get("start"), "start", position)
        end = _seconds(item.get("end"), "end", position)
        if end is None and start is not None:
            duration = _seconds(item.get("duration"), "duration", position)
            if duration is not None:
                end = round(start + duration, 3)
        speaker = item.get("speaker")
        speaker = str(speaker) if isinstance(speaker, str | int) and speaker != "" else None
        segments.append(Segment(text, start, end, speaker))
    return segments


def _from_events(events: list[Any]) -> list[Segment]:
    segments = []
    for position, event in enumerate(events, start=1):
        if not isinstance(event, dict) or not isinstance(event.get("segs"), list):
            continue
        text = "".join(_text(seg.get("utf8")) for seg in event["segs"] if isinstance(seg, dict))
        start_ms = _seconds(event.get("tStartMs", 0), "tStartMs", position) or 0.0
        duration_ms = _seconds(event.get("dDurationMs"), "dDurationMs", position)
        end = None if duration_ms is None else round((start_ms + duration_ms) / 1000, 3)
        segments.append(Segment(text, round(start_ms / 1000, 3), end))
    return segments


def parse_json_value(data: Any) -> Parsed:
    """A decoded JSON document as a transcript, or TranscriptImportError."""
    if isinstance(data, list):
        if not data:
            raise TranscriptImportError("no transcript text found")
        return Parsed(FORMAT, finalize(_from_items(data)))
    if not isinstance(data, dict):
        raise TranscriptImportError(_NOT_A_TRANSCRIPT)
    for key in ("segments", "snippets"):
        items = data.get(key)
        if isinstance(items, list):
            if not items:
                raise TranscriptImportError("no transcript text found")
            return Parsed(
                FORMAT,
                finalize(_from_items(items)),
                title=_optional_str(data.get("title")),
                origin=_optional_str(data.get("origin")),
                language=_optional_str(data.get("language"))
                or _optional_str(data.get("language_code")),
                video_id=_optional_str(data.get("video_id")),
            )
    if isinstance(data.get("events"), list):
        return Parsed(FORMAT, finalize(_from_events(data["events"])))
    raise TranscriptImportError(_NOT_A_TRANSCRIPT)
