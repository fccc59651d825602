"""WebVTT: header metadata, NOTE/STYLE/REGION blocks, cue ids and settings, voices, entities.

YouTube's automatic captions are rolling two-line cues with per-word `<c>` timing and
~10 ms "hold" cues; `cues_to_segments` turns them back into each spoken line once.
"""

from __future__ import annotations

import re

from core.formats.cleanup import finalize
from core.formats.cues import cues_to_segments, parse_blocks
from core.formats.result import Parsed

_LANGUAGE = re.compile(r"^\s*Language:\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)\s*$")


def parse_vtt(text: str, matches: list[re.Match[str]] | None = None) -> Parsed:
    blocks = parse_blocks(text, vtt=True, matches=matches)
    language = None
    title = None
    first = text.lstrip().split("\n", 1)[0]
    if first.startswith("WEBVTT"):
        title = first[len("WEBVTT") :].strip(" \t-–—:") or None
    for line in blocks.header:
        match = _LANGUAGE.match(line)
        if match:
            language = match.group(1)
            break
    segments = finalize(cues_to_segments(blocks, entities=True), cleaned=True)
    return Parsed("vtt", segments, title=title, language=language)
