"""Short human durations: `1m`, `10m`, `2d` in, `10m`, `2d`, `3.1mo` out; `h:mm:ss` lengths."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")


def parse_duration(text: str) -> timedelta | None:
    """`10m` -> 10 minutes; None when it is not a duration."""
    match = _PATTERN.match(text.lower())
    if not match:
        return None
    try:
        return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
    except OverflowError:  # e.g. 99999999999d: past what a timedelta holds
        return None


def format_interval(delta: timedelta) -> str:
    """Anki-style compact interval for a button: 45s, 10m, 3h, 2d, 3.1mo, 1.2y."""
    seconds = max(0.0, delta.total_seconds())
    if seconds < 60:
        return f"{round(seconds)}s"
    if seconds < 3600:
        return f"{round(seconds / 60)}m"
    if seconds < 86400:
        return f"{round(seconds / 3600)}h"
    days = seconds / 86400
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}mo"
    return f"{days / 365:.1f}y"


def format_hms(seconds: float) -> str:
    """A transcript's length as `h:mm:ss`, the one rule for the app and the CLI.

    Seconds are truncated, never rounded up: 5197.9 s is `1:26:37`, as a player's clock
    shows it until the 38th second has begun.
    """
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$")
_CLOCK_UNITS = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$")


def parse_clock(text: str) -> float:
    """Seconds from `1:02:03`, `62:03`, `3723` or `1h2m3s`; ValueError says what is accepted."""
    value = text.strip().lower().replace(" ", "")
    if value:
        if re.fullmatch(r"\d+(?:\.\d+)?", value):
            return float(value)
        clock = _CLOCK.match(value)
        if clock:
            hours, minutes, seconds = clock.groups()
            if float(seconds) < 60 and (hours is None or int(minutes) < 60):
                return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
        units = _CLOCK_UNITS.match(value)
        if units and any(units.groups()):
            hours, minutes, seconds = (float(part or 0) for part in units.groups())
            return hours * 3600 + minutes * 60 + seconds
    raise ValueError(f"Not a time: {text.strip()!r}. Use 1:02:03, 62:03, 3723 (seconds) or 1h2m3s.")
