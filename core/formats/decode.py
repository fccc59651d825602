"""Bytes to text: refuse binaries with a useful reason, guess the encoding, normalise newlines.

Captions in the wild come as UTF-8 (with or without a BOM), UTF-16 from Windows tools, and
legacy cp1252/latin-1 from old subtitle sites. ESC is allowed through on purpose: ANSI codes
inside captions are stored verbatim and neutralised only when displayed.
"""

from __future__ import annotations

import codecs

from core.formats.errors import TranscriptImportError

MAX_BYTES = 50 * 1024 * 1024

_MEDIA_HINT = (
    "this is an audio or video file, not a transcript"
    " (transcribe it first, e.g. with whisper, and import the result)"
)

# (prefix, offset, message): well-known binary signatures get a friendlier reason.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"%PDF-", 0, "this is a PDF document, not a transcript (save its text as a .txt file)"),
    (b"{\\rtf", 0, "this is an RTF document, not a transcript (save it as plain text)"),
    (
        b"PK\x03\x04",
        0,
        "this looks like a binary file (a zip archive or office document), not a transcript",
    ),
    (b"\x89PNG", 0, "this is an image, not a transcript"),
    (b"\xff\xd8\xff", 0, "this is an image, not a transcript"),
    (b"GIF8", 0, "this is an image, not a transcript"),
    (b"ID3", 0, _MEDIA_HINT),
    (b"OggS", 0, _MEDIA_HINT),
    (b"fLaC", 0, _MEDIA_HINT),
    (b"RIFF", 0, _MEDIA_HINT),
    (b"\x1aE\xdf\xa3", 0, _MEDIA_HINT),
    (b"ftyp", 4, _MEDIA_HINT),
    (b"SQLite format 3\x00", 0, "this looks like a binary file (a database), not a transcript"),
    (b"\x1f\x8b", 0, "this looks like a binary file (gzip compressed), not a transcript"),
)

BINARY_MESSAGE = "this looks like a binary file, not a transcript"

# Control bytes that never appear in text files. Tab, LF, VT, FF, CR and ESC are allowed.
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27)) + b"\x7f"
_SAMPLE = 65536


def _refuse_binary(data: bytes) -> None:
    for prefix, offset, message in _SIGNATURES:
        if data[offset : offset + len(prefix)] == prefix:
            raise TranscriptImportError(message)
    if b"\x00" in data:
        raise TranscriptImportError(BINARY_MESSAGE)
    sample = data[:_SAMPLE]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if controls * 20 > len(sample):  # more than 5 % control bytes
        raise TranscriptImportError(BINARY_MESSAGE)


def _decode_unicode_bom(data: bytes) -> str | None:
    """UTF-16/32 text announced by a BOM (Windows 'Unicode' saves), else None."""
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                raise TranscriptImportError(
                    f"this file says it is {encoding.upper()[:6]} but is not valid text"
                ) from None
    return None


def size_over_limit(size: int, limit: int = MAX_BYTES) -> str:
    """The size and the limit, precise enough that the size never reads as the limit."""
    shown = f"{size / 1048576:.1f}"
    if shown == f"{limit / 1048576:.1f}":
        return f"({size:,} bytes; the limit is {limit:,} bytes)"
    return f"({shown} MB; the limit is {limit / 1048576:g} MB)"


def decode_bytes(data: bytes) -> str:
    """The file's text with newlines normalised to LF; refuses empty and binary input."""
    if len(data) > MAX_BYTES:
        raise TranscriptImportError(f"file too big {size_over_limit(len(data))}")
    if not data.strip():
        raise TranscriptImportError("empty file")
    text = _decode_unicode_bom(data)
    if text is None:
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8) :]
        _refuse_binary(data)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                text = data.decode("latin-1")
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise TranscriptImportError(BINARY_MESSAGE)
    if not text.strip():
        raise TranscriptImportError("empty file")
    return text
