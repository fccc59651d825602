"""Clock-time parsing and formatting shared by the readers and writers.

Times are kept as float seconds rounded to the millisecond, which every caption format
can represent exactly, so export -> import gives back the same numbers.
"""

from __future__ import annotations

import math

# `h:mm:ss.mmm`, `mm:ss,mmm`, `m:ss` ... hours optional and unpadded, fraction optional.
TIMESTAMP = r"(?:\d{1,6}:)?\d{1,3}:\d{1,2}(?:[.,]\d{1,9})?"


def parse_timestamp(text: str) -> float:
    """Seconds from a clock string matched by TIMESTAMP (`,` or `.` before the fraction)."""
    if len(text) == 12 and text[2] == ":" and text[5] == ":" and text[8] in ",.":
        # The common `hh:mm:ss.mmm` shape, about four times faster than the general path.
        return (
            int(text[0:2]) * 3_600_000
            + int(text[3:5]) * 60_000
            + int(text[6:8]) * 1000
            + int(text[9:12])
        ) / 1000
    main, _, fraction = text.strip().replace(",", ".").partition(".")
    total = 0
    for part in main.split(":"):
        total = total * 60 + int(part)
    millis = total * 1000
    if fraction:
        if len(fraction) <= 3:
            millis += int(fraction) * 10 ** (3 - len(fraction))
        else:
            millis += round(int(fraction) / 10 ** (len(fraction) - 3))
    return millis / 1000


def to_millis(seconds: float) -> int:
    return max(0, round(seconds * 1000)) if math.isfinite(seconds) else 0


def format_clock(seconds: float, *, decimal: str = ".", always_hours: bool = True) -> str:
    """`hh:mm:ss.mmm` (SRT passes `decimal=","`)."""
    millis = to_millis(seconds)
    secs, ms = divmod(millis, 1000)
    minutes, secs = divmod(secs, 60)
    hours, minutes = divmod(minutes, 60)
    if always_hours or hours:
        return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal}{ms:03d}"
    return f"{minutes:02d}:{secs:02d}{decimal}{ms:03d}"


def format_short(seconds: float) -> str:
    """`hh:mm:ss` for headings and speaker lines."""
    total = to_millis(seconds) // 1000
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"


def estimate_seconds(text: str) -> float:
    """How long speaking `text` takes at ~150 words per minute (at least a second)."""
    return max(1.0, round(len(text.split()) / 2.5, 3))
