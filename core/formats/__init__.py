"""Transcript files in and out: detection by content, six readers, five writers.

Readers: SRT, WebVTT (incl. YouTube's rolling auto-captions), Whisper console output,
speaker-labelled podcast transcripts, plain text, and JSON (youtube-transcript-api,
Ponder's own export, whisper JSON). Every failure is a `TranscriptImportError` whose text
is one line fit to show the user.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from core.formats.decode import MAX_BYTES, decode_bytes, size_over_limit
from core.formats.detect import parse_text
from core.formats.errors import TranscriptExportError, TranscriptImportError
from core.formats.result import Parsed
from core.formats.writers import EXPORT_EXTENSIONS, EXPORT_FORMATS, export
from core.models import Segment, Source, Transcript

IMPORT_FORMATS = ("srt", "vtt", "whisper", "podcast", "text", "youtube-json")

__all__ = [
    "EXPORT_EXTENSIONS",
    "EXPORT_FORMATS",
    "IMPORT_FORMATS",
    "MAX_BYTES",
    "Parsed",
    "TranscriptExportError",
    "TranscriptImportError",
    "export",
    "parse_bytes",
    "parse_document",
    "prettify_title",
    "read_file",
    "transcript_from_bytes",
]


def parse_document(data: bytes, name: str = "") -> Parsed:
    """Segments plus whatever metadata the file carried (title, language, video id)."""
    return parse_text(decode_bytes(data), name)


def parse_bytes(data: bytes, name: str = "") -> tuple[str, list[Segment]]:
    """(format name, segments) of a transcript, its format detected by content."""
    parsed = parse_document(data, name)
    return parsed.format, parsed.segments


_LANGUAGE_SUFFIX = re.compile(r"^(?P<stem>.+)\.(?P<lang>[a-z]{2}(?:-[A-Za-z]{2,4})?)$")


def prettify_title(file_name: str) -> tuple[str, str | None]:
    """A readable title from a file name, and the language tag yt-dlp puts in it, if any.

    `my_great-talk.en.vtt` -> ("My great talk", "en").
    """
    stem = Path(file_name).stem or file_name
    language = None
    match = _LANGUAGE_SUFFIX.match(stem)
    if match:
        stem, language = match.group("stem"), match.group("lang")
    title = stem.replace("_", " ")
    if " " not in title.strip():
        title = title.replace("-", " ")
    title = " ".join(title.split())
    if title and title == title.lower():
        title = title[0].upper() + title[1:]
    return title or file_name, language


def transcript_from_bytes(
    data: bytes, name: str, *, origin: str | None = None, kind: str = "file"
) -> Transcript:
    """A transcript ready for `Library.add` from raw bytes (a file, a paste, a download)."""
    parsed = parse_document(data, name)
    title, language = prettify_title(name) if name else ("Untitled transcript", None)
    source = Source(
        title=parsed.title or title,
        origin=origin if origin is not None else name,
        kind=kind,
        video_id=parsed.video_id,
        language=parsed.language or language,
        format=parsed.format,
    )
    return Transcript(source, parsed.segments).with_counts()


def read_file(path: str | os.PathLike[str]) -> Transcript:
    """Read and parse a transcript file; every problem is a one-line TranscriptImportError."""
    file_path = Path(path)
    name = file_path.name or str(path)
    try:
        info = file_path.stat()
    except FileNotFoundError:
        raise TranscriptImportError(f"no such file: {name}") from None
    except PermissionError:
        raise TranscriptImportError(f"permission denied: {name}") from None
    except OSError as error:
        raise TranscriptImportError(f"cannot read {name}: {error.strerror or error}") from None
    except ValueError:  # a NUL byte in the path
        raise TranscriptImportError("invalid file name") from None
    if stat.S_ISDIR(info.st_mode):
        raise TranscriptImportError(f"{name} is a folder, not a transcript file")
    if not stat.S_ISREG(info.st_mode):
        raise TranscriptImportError(f"{name} is not a regular file")
    if info.st_size > MAX_BYTES:
        raise TranscriptImportError(f"{name} is too big {size_over_limit(info.st_size)}")
    try:
        with file_path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except PermissionError:
        raise TranscriptImportError(f"permission denied: {name}") from None
    except OSError as error:
        raise TranscriptImportError(f"cannot read {name}: {error.strerror or error}") from None
    return transcript_from_bytes(data, name)
