"""Which format a text is in, judged by its content (the file name only breaks ties).

Each rule counts lines that fit a format against all non-blank lines, so one stray
`-->` or a `Note [00:01]:` line inside prose does not turn a plain text into captions.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePath
from typing import Any

from core.formats.cues import TIMING_LINE, arrow_lines
from core.formats.errors import TranscriptImportError
from core.formats.plaintext import parse_plaintext
from core.formats.podcast import looks_like_podcast, parse_podcast
from core.formats.result import Parsed
from core.formats.srt import parse_srt
from core.formats.timecode import TIMESTAMP
from core.formats.vtt import parse_vtt
from core.formats.whisper import LOG_PREFIXES, parse_whisper
from core.formats.ytjson import parse_json_value

_MARKUP_PREFIXES = ("<?xml", "<!doctype", "<html", "<tt ", "<tt>", "<transcript", "<timedtext")
_MARKUP_MESSAGE = (
    "this is an XML/HTML document, not a supported transcript"
    " (use SRT, WebVTT, Whisper output, JSON or plain text)"
)
_NOT_JSON = object()
# Counting patterns run on "\n" + text: a literal first character is much faster to
# scan for than a multiline `^`.
_NONBLANK = re.compile(r"\n[ \t\f\v]*[^ \t\f\v\n]")
_LOG_LINE = re.compile("\n[ \t]*(?:" + "|".join(re.escape(p) for p in LOG_PREFIXES) + ")")
_WHISPER_LINE = re.compile(rf"[ \t]*\[[ \t]*{TIMESTAMP}[ \t]*-->[ \t]*{TIMESTAMP}[ \t]*\]")


def _load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _NOT_JSON


def parse_text(text: str, name: str = "") -> Parsed:
    """Detect the format of decoded text and parse it."""
    head = text.lstrip()
    if head[:1] in ("[", "{"):
        value = _load_json(text)
        if value is not _NOT_JSON:
            return parse_json_value(value)
    lowered = head[:16].lower()
    if lowered.startswith(_MARKUP_PREFIXES):
        raise TranscriptImportError(_MARKUP_MESSAGE)
    if head.startswith("WEBVTT"):
        return parse_vtt(text)
    padded = "\n" + text  # so every line, the first too, starts after a newline
    nonblank = len(_NONBLANK.findall(padded))
    timings: list[re.Match[str]] = []
    whisper = 0
    for start in arrow_lines(text):
        match = TIMING_LINE.match(text, start)
        if match:
            timings.append(match)
        elif _WHISPER_LINE.match(text, start):
            whisper += 1
    if whisper:
        nonblank -= len(_LOG_LINE.findall(padded))
    timing = len(timings)
    if whisper and whisper * 10 >= nonblank * 3:
        return parse_whisper(text)
    if timing and timing * 8 >= nonblank:
        if PurePath(name).suffix.lower() == ".vtt":
            return parse_vtt(text, timings)
        return parse_srt(text, timings)
    headers = looks_like_podcast(text.split("\n"), nonblank)
    if headers:
        return parse_podcast(text, headers)
    return parse_plaintext(text)
