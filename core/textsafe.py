"""Making untrusted text inert for a terminal.

Transcripts, titles, file names and model output may hold ANSI/OSC escape sequences
(colour, title changes, OSC 52 clipboard writes). They are stored verbatim and shown
harmlessly: ESC becomes the visible symbol `␛` and other C0/C1 controls become their
Unicode control pictures, so nothing is ever executed by the terminal.
"""

from __future__ import annotations

_TABLE = {code: 0x2400 + code for code in range(0x20) if code not in (0x09, 0x0A)}
_TABLE[0x7F] = 0x2421  # DEL -> ␡
_TABLE.update({code: 0xFFFD for code in range(0x80, 0xA0)})  # C1 controls (CSI, OSC, ...)


def inert(text: str) -> str:
    """Text safe to print: newlines and tabs kept, every other control made visible."""
    return text.translate(_TABLE)


def inert_line(text: str) -> str:
    """One line: newlines and tabs become spaces too (for titles and table cells)."""
    return inert(text.replace("\r\n", " ").replace("\n", " ").replace("\t", " "))
