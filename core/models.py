"""The transcript model shared by readers, writers, storage and the UI.

Plain dataclasses with `to_dict`/`from_dict` so they cross process, JSON and test
boundaries without surprises. Times are seconds (floats); a transcript with no timing
(plain text) has `start`/`end` of None on every segment.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from core.clock import now as utc_now


@dataclass(frozen=True, slots=True)
class Segment:
    """One cue or paragraph of a transcript."""

    text: str
    start: float | None = None
    end: float | None = None
    speaker: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "speaker": self.speaker, "text": self.text}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Segment:
        start = data.get("start")
        end = data.get("end")
        return cls(
            text=str(data.get("text", "")),
            start=None if start is None else float(start),
            end=None if end is None else float(end),
            speaker=data.get("speaker") or None,
        )


@dataclass(slots=True)
class Source:
    """Where a transcript came from and what it is; `id` is None until stored."""

    title: str
    origin: str
    kind: str = "file"  # "file", "youtube" or "demo"
    video_id: str | None = None
    language: str | None = None
    is_generated: bool = False
    format: str | None = None
    imported_at: datetime = field(default_factory=utc_now)
    id: int | None = None
    segment_count: int = 0
    duration_s: float | None = None
    media_path: str | None = None  # the audio/video file a transcript was made from

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "origin": self.origin,
            "kind": self.kind,
            "video_id": self.video_id,
            "language": self.language,
            "is_generated": self.is_generated,
            "format": self.format,
            "imported_at": self.imported_at.isoformat(),
            "segments": self.segment_count,
            "duration_s": self.duration_s,
            "media_path": self.media_path,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Source:
        imported = data.get("imported_at")
        return cls(
            id=data.get("id"),
            title=str(data["title"]),
            origin=str(data.get("origin", "")),
            kind=str(data.get("kind", "file")),
            video_id=data.get("video_id"),
            language=data.get("language"),
            is_generated=bool(data.get("is_generated", False)),
            format=data.get("format"),
            imported_at=datetime.fromisoformat(imported) if imported else utc_now(),
            segment_count=int(data.get("segments", 0)),
            duration_s=data.get("duration_s"),
            media_path=data.get("media_path"),
        )


@dataclass(slots=True)
class Transcript:
    """A source with its ordered segments."""

    source: Source
    segments: list[Segment]

    @property
    def timed(self) -> bool:
        return any(seg.start is not None for seg in self.segments)

    @property
    def duration_s(self) -> float | None:
        ends = [s.end if s.end is not None else s.start for s in self.segments]
        known = [t for t in ends if t is not None]
        return max(known) if known else None

    def with_counts(self) -> Transcript:
        """Fill the source's derived fields (segment count, duration) from the segments."""
        source = replace(self.source, segment_count=len(self.segments), duration_s=self.duration_s)
        return Transcript(source, self.segments)

    def to_dict(self) -> dict[str, Any]:
        data = self.source.to_dict()
        data["segments"] = [seg.to_dict() for seg in self.segments]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        segments = [Segment.from_dict(s) for s in data.get("segments", [])]
        head = {k: v for k, v in data.items() if k != "segments"}
        head["segments"] = len(segments)
        return cls(Source.from_dict(head), segments)


@dataclass(frozen=True, slots=True)
class Highlight:
    """A passage the learner marked: segments first..last, optional char offsets."""

    source_id: int
    first_segment: int
    last_segment: int
    start_char: int | None = None  # offset into the first segment's text
    end_char: int | None = None  # offset (exclusive) into the last segment's text
    note: str = ""
    created_at: datetime = field(default_factory=utc_now)
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source_id": self.source_id,
            "first_segment": self.first_segment,
            "last_segment": self.last_segment,
            "start_char": self.start_char,
            "end_char": self.end_char,
            "note": self.note,
            "created_at": self.created_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Highlight:
        return cls(
            id=data.get("id"),
            source_id=int(data["source_id"]),
            first_segment=int(data["first_segment"]),
            last_segment=int(data["last_segment"]),
            start_char=data.get("start_char"),
            end_char=data.get("end_char"),
            note=data.get("note") or "",
            created_at=datetime.fromisoformat(data["created_at"])
            if data.get("created_at")
            else utc_now(),
        )


def format_timestamp(seconds: float | None, *, always_hours: bool = True) -> str:
    """`[hh:mm:ss]`-style clock text (without brackets); `--:--` when untimed."""
    if seconds is None:
        return "--:--:--" if always_hours else "--:--"
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if always_hours or hours:
        return f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{minutes:02d}:{secs:02d}"
