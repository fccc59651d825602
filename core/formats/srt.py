"""SubRip (.srt): index line optional, `,` or `.` before the milliseconds, tags stripped.

Text is otherwise verbatim: SRT has no entities, so `&amp;` stays as typed.
"""

from __future__ import annotations

import re

from core.formats.cleanup import finalize
from core.formats.cues import cues_to_segments, parse_blocks
from core.formats.result import Parsed


def parse_srt(text: str, matches: list[re.Match[str]] | None = None) -> Parsed:
    blocks = parse_blocks(text, vtt=False, matches=matches)
    return Parsed("srt", finalize(cues_to_segments(blocks, entities=False), cleaned=True))
