"""The two ways a transcript can be refused: on the way in, and on the way out."""

from __future__ import annotations


class TranscriptImportError(ValueError):
    """A file or payload that cannot become a transcript; `str()` is one line for the user."""


class TranscriptExportError(ValueError):
    """A transcript that cannot be written in the requested format (e.g. SRT without timing)."""
