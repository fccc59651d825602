"""What a reader hands back: the format's name, the segments and any metadata it found."""

from __future__ import annotations

from dataclasses import dataclass

from core.models import Segment


@dataclass(slots=True)
class Parsed:
    format: str
    segments: list[Segment]
    title: str | None = None
    origin: str | None = None
    language: str | None = None
    video_id: str | None = None
