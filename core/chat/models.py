"""Plain data for chat: usage, citations, messages, conversations, guide notes, events.

No anthropic here: these cross into the UI, the CLI and the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.clock import now as utc_now

ROLES = ("user", "assistant")
STATUSES = ("draft", "streaming", "complete", "stopped", "error")


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens billed for one answer: uncached input, output, cache write, cache read."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
        )

    @property
    def total_input(self) -> int:
        return self.input_tokens + self.cache_write_tokens + self.cache_read_tokens

    def line(self) -> str:
        """The `tokens: in=N out=N cache_write=N cache_read=N` line the CLI prints."""
        return (
            f"tokens: in={self.input_tokens} out={self.output_tokens} "
            f"cache_write={self.cache_write_tokens} cache_read={self.cache_read_tokens}"
        )

    def to_dict(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "cache_read_tokens": self.cache_read_tokens,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Usage:
        return cls(
            int(data.get("input_tokens") or 0),
            int(data.get("output_tokens") or 0),
            int(data.get("cache_write_tokens") or 0),
            int(data.get("cache_read_tokens") or 0),
        )


@dataclass(frozen=True, slots=True)
class Citation:
    """A passage of the transcript an answer cites.

    `first_segment`..`last_segment` (inclusive) are transcript segment indexes;
    `start`..`end` are character offsets of the cited span in the answer text, so the UI
    can put the `[hh:mm:ss]` link right after it. `label` is `hh:mm:ss` or `¶N`; in an
    answer about a collection it is `Title hh:mm:ss` and `source_id` says which transcript.
    """

    first_segment: int
    last_segment: int
    cited_text: str
    label: str
    start: int = 0
    end: int = 0
    source_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "first_segment": self.first_segment,
            "last_segment": self.last_segment,
            "cited_text": self.cited_text,
            "label": self.label,
            "start": self.start,
            "end": self.end,
        }
        if self.source_id is not None:
            data["source_id"] = self.source_id
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Citation:
        source_id = data.get("source_id")
        return cls(
            first_segment=int(data["first_segment"]),
            last_segment=int(data["last_segment"]),
            cited_text=str(data.get("cited_text", "")),
            label=str(data.get("label", "")),
            start=int(data.get("start", 0)),
            end=int(data.get("end", 0)),
            source_id=None if source_id is None else int(source_id),
        )

    @property
    def marker(self) -> str:
        return f"[{self.label}]"


@dataclass(frozen=True, slots=True)
class Focus:
    """The passage a question is about ("ask about selection"); `source_id` names its
    transcript when the conversation is about a collection."""

    first_segment: int
    last_segment: int
    text: str
    source_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "first_segment": self.first_segment,
            "last_segment": self.last_segment,
            "text": self.text,
        }
        if self.source_id is not None:
            data["source_id"] = self.source_id
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Focus:
        source_id = data.get("source_id")
        return cls(
            int(data["first_segment"]),
            int(data["last_segment"]),
            str(data["text"]),
            None if source_id is None else int(source_id),
        )


@dataclass(slots=True)
class ChatMessage:
    """One question or answer. Answers keep partial text when stopped or failed."""

    id: int
    conversation_id: int
    role: str
    content: str
    status: str
    citations: list[Citation] = field(default_factory=list)
    focus: Focus | None = None
    error: str | None = None
    model: str | None = None
    usage: Usage = field(default_factory=Usage)
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "role": self.role,
            "content": self.content,
            "status": self.status,
            "citations": [c.to_dict() for c in self.citations],
            "focus": self.focus.to_dict() if self.focus else None,
            "error": self.error,
            "model": self.model,
            "usage": self.usage.to_dict(),
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChatMessage:
        return cls(
            id=int(data["id"]),
            conversation_id=int(data["conversation_id"]),
            role=str(data["role"]),
            content=str(data.get("content", "")),
            status=str(data.get("status", "complete")),
            citations=[Citation.from_dict(c) for c in data.get("citations") or []],
            focus=Focus.from_dict(data["focus"]) if data.get("focus") else None,
            error=data.get("error"),
            model=data.get("model"),
            usage=Usage.from_dict(data.get("usage") or {}),
            created_at=datetime.fromisoformat(data["created_at"])
            if data.get("created_at")
            else utc_now(),
            updated_at=datetime.fromisoformat(data["updated_at"])
            if data.get("updated_at")
            else utc_now(),
        )


@dataclass(slots=True)
class Conversation:
    """A chat about one source, or (`source_id` None) about the collection `collection_id`.
    `window` is the excerpt sent when the transcript is too long."""

    id: int
    source_id: int | None
    title: str
    created_at: datetime
    updated_at: datetime
    window: tuple[int, int] | None = None
    message_count: int = 0
    collection_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source_id": self.source_id,
            "collection_id": self.collection_id,
            "title": self.title,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "window": list(self.window) if self.window else None,
            "message_count": self.message_count,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Conversation:
        window = data.get("window")
        source_id, collection_id = data.get("source_id"), data.get("collection_id")
        return cls(
            id=int(data["id"]),
            source_id=None if source_id is None else int(source_id),
            collection_id=None if collection_id is None else int(collection_id),
            title=str(data.get("title", "")),
            created_at=datetime.fromisoformat(data["created_at"]),
            updated_at=datetime.fromisoformat(data["updated_at"]),
            window=(int(window[0]), int(window[1])) if window else None,
            message_count=int(data.get("message_count", 0)),
        )


@dataclass(slots=True)
class GuideNote:
    """A saved study guide of one kind for one source (or, `source_id` None, for the
    collection `collection_id`), viewable without calling Claude."""

    source_id: int | None
    kind: str
    content: str
    citations: list[Citation] = field(default_factory=list)
    model: str | None = None
    usage: Usage = field(default_factory=Usage)
    created_at: datetime = field(default_factory=utc_now)
    collection_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source_id": self.source_id,
            "collection_id": self.collection_id,
            "kind": self.kind,
            "content": self.content,
            "citations": [c.to_dict() for c in self.citations],
            "model": self.model,
            "usage": self.usage.to_dict(),
            "created_at": self.created_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GuideNote:
        source_id, collection_id = data.get("source_id"), data.get("collection_id")
        return cls(
            source_id=None if source_id is None else int(source_id),
            collection_id=None if collection_id is None else int(collection_id),
            kind=str(data["kind"]),
            content=str(data.get("content", "")),
            citations=[Citation.from_dict(c) for c in data.get("citations") or []],
            model=data.get("model"),
            usage=Usage.from_dict(data.get("usage") or {}),
            created_at=datetime.fromisoformat(data["created_at"])
            if data.get("created_at")
            else utc_now(),
        )


def unique_citations(citations: list[Citation]) -> list[Citation]:
    """One citation per cited range, in order of first appearance."""
    seen: set[tuple[int | None, int, int]] = set()
    result = []
    for citation in citations:
        key = (citation.source_id, citation.first_segment, citation.last_segment)
        if key not in seen:
            seen.add(key)
            result.append(citation)
    return result


def render_with_citations(
    text: str,
    citations: Sequence[Citation],
    marker_for: Callable[[Citation], str] | None = None,
) -> str:
    """The answer as plain text with ` [hh:mm:ss]` after each cited span (for copy/CLI).

    Several citations ending at the same place are written once each, in order; a
    citation whose span lies outside the text goes at the end. `marker_for` replaces
    the plain ` [label]` marker (Markdown export writes a link); empty markers are skipped.
    """
    inserts: dict[int, list[str]] = {}
    for citation in citations:
        position = min(max(citation.end, 0), len(text))
        marker = marker_for(citation) if marker_for else citation.marker
        markers = inserts.setdefault(position, [])
        if marker and marker not in markers:
            markers.append(marker)
    pieces: list[str] = []
    previous = 0
    for position in sorted(inserts):
        pieces.append(text[previous:position])
        pieces.append(" " + " ".join(inserts[position]))
        previous = position
    pieces.append(text[previous:])
    return "".join(pieces)


# -- events streamed by ask() / generate_guide() ---------------------------------------


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the learner should know before the answer (e.g. an excerpt is sent)."""

    text: str


@dataclass(frozen=True, slots=True)
class Started:
    """Claude accepted the request; the answer is being stored under `message_id`."""

    message_id: int | None
    model: str


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class CitationEvent:
    """A citation, sent when the cited span of the answer is complete."""

    citation: Citation


@dataclass(frozen=True, slots=True)
class Done:
    """The answer is complete and stored."""

    usage: Usage
    stop_reason: str | None
    message_id: int | None
    model: str
    stop_detail: str | None = None  # the API's explanation of a refusal, when it gives one


ChatEvent = Notice | Started | TextDelta | CitationEvent | Done
