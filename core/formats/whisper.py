"""Whisper console output, one cue per line, both flavours (which may be mixed in one file).

whisper.cpp: `[00:00:00.560 --> 00:00:03.100]   text`
openai-whisper: `[00:05.000 --> 00:07.500] text`, hours appearing unpadded past one hour
(`[1:02:03.456 --> 1:02:05.000] text`). Lines without a timing prefix continue the cue
above; log lines that were captured along with the output are skipped.
"""

from __future__ import annotations

import re

from core.formats.cleanup import finalize
from core.formats.result import Parsed
from core.formats.timecode import TIMESTAMP, parse_timestamp
from core.models import Segment

WHISPER_LINE = re.compile(
    rf"^[ \t]*\[[ \t]*({TIMESTAMP})[ \t]*-->[ \t]*({TIMESTAMP})[ \t]*\][ \t]*(.*)$"
)
LOG_PREFIXES = (
    "whisper_",
    "ggml_",
    "main:",
    "system_info:",
    "output_",
    "Detecting language",
    "Detected language",
)
_DETECTED = re.compile(r"^\s*(?:whisper_full\w*: )?[Dd]etected language:?\s*([A-Za-z-]+)")


def is_log_line(line: str) -> bool:
    return line.lstrip().startswith(LOG_PREFIXES)


def parse_whisper(text: str) -> Parsed:
    starts: list[float] = []
    ends: list[float] = []
    texts: list[list[str]] = []
    language = None
    for line in text.split("\n"):
        match = WHISPER_LINE.match(line) if "-->" in line else None
        if match:
            starts.append(parse_timestamp(match.group(1)))
            ends.append(parse_timestamp(match.group(2)))
            texts.append([match.group(3)])
        elif line.strip():
            if is_log_line(line):
                found = _DETECTED.match(line)
                if found and language is None and len(found.group(1)) <= 3:
                    language = found.group(1).lower()
            elif texts:
                texts[-1].append(line)
    segments = [
        Segment(" ".join(parts), start, end)
        for start, end, parts in zip(starts, ends, texts, strict=True)
    ]
    return Parsed("whisper", finalize(segments), language=language)
