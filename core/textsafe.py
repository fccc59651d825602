"""Making untrusted text inert for a terminal.

Transcripts, titles, file names and model output may hold ANSI/OSC escape sequences
(colour, title changes, OSC 52 clipboard writes). They are stored verbatim and shown
harmlessly: ESC becomes the visible symbol `␛` and other C0/C1 controls become their
Unicode control pictures, so nothing is ever executed by the terminal.
"""

from __future__ import annotations

import re
from typing import Any

_TABLE = {code: 0x2400 + code for code in range(0x20) if code not in (0x09, 0x0A)}
_TABLE[0x7F] = 0x2421  # DEL -> ␡
_TABLE.update({code: 0xFFFD for code in range(0x80, 0xA0)})  # C1 controls (CSI, OSC, ...)


def inert(text: str) -> str:
    """Text safe to print: newlines and tabs kept, every other control made visible."""
    return text.translate(_TABLE)


def inert_line(text: str) -> str:
    """One line: newlines and tabs become spaces too (for titles and table cells)."""
    return inert(text.replace("\r\n", " ").replace("\n", " ").replace("\t", " "))


_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def _byte_as_text(match: re.Match[str]) -> str:
    byte = bytes([ord(match.group()) - 0xDC00])
    try:
        return byte.decode("cp1252")
    except UnicodeDecodeError:
        return "\ufffd"


def from_os(text: str) -> str:
    """Text from argv or a file name with its non-UTF-8 bytes made real characters.

    Python hands such bytes over as lone surrogates (surrogateescape), which SQLite and
    every UTF-8 output refuse with UnicodeEncodeError. Each is read as Windows-1252 (a
    superset of Latin-1, the usual culprit: `café` typed in a Latin-1 terminal), so the
    learner sees what was meant; a byte with no meaning there becomes U+FFFD.
    """
    return _ESCAPED_BYTE.sub(_byte_as_text, text) if text else text


_MODEL_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_model_text(value: Any, limit: int) -> str:
    """A field of a model's JSON reply made safe to keep: text (numbers, and lists of
    either, joined), controls removed, newlines normalised, ends trimmed, at most `limit`
    characters (an ellipsis marks a cut). Anything else is the empty string."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, int | float):
        value = str(value)
    if isinstance(value, list):
        value = " ".join(
            clean_model_text(v, limit) for v in value if isinstance(v, str | int | float)
        )
    if not isinstance(value, str):
        return ""
    text = _MODEL_CONTROLS.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
