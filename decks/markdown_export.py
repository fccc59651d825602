"""One transcript's study material as a Markdown file.

Title and link, the saved study guides, highlights with their timestamps, the conversations
with Claude and the flashcards made from the transcript. For a YouTube source every
timestamp links to the video at that second.

Everything in it was typed or fetched by someone else (titles, transcripts, answers), so
control characters are made visible (core.textsafe) and text that would be read as
Markdown structure where it does not belong (titles, link labels) is escaped.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from typing import Any

from core.chat.models import Citation, render_with_citations
from core.chat.prompts import GUIDE_KINDS
from core.chat.store import ConversationStore
from core.models import Segment, Source, format_timestamp
from core.textsafe import inert, inert_line
from core.youtube import watch_url

_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>])")


class MarkdownExportError(LookupError):
    """The source does not exist; the message names the id."""


def _escape_inline(text: str, *, strip: bool = True) -> str:
    """One line of untrusted text that must not turn into Markdown structure."""
    line = inert_line(text)
    return _INLINE_SPECIAL.sub(r"\\\1", line.strip() if strip else line)


def _block(text: str) -> str:
    """Untrusted multi-line text kept as written (answers are Markdown already)."""
    return inert(text).strip()


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in inert(text).strip().splitlines())


class _Timestamps:
    """Turns segment indexes into `[hh:mm:ss](link)` (plain text for untimed sources)."""

    def __init__(self, source: Source, segments: Sequence[Segment]) -> None:
        self.source = source
        self.segments = segments
        long = (source.duration_s or 0) >= 3600
        self.always_hours = long

    def seconds(self, index: int) -> float | None:
        if 0 <= index < len(self.segments):
            return self.segments[index].start
        return None

    def label(self, seconds: float | None, fallback: str = "") -> str:
        if seconds is None:
            return fallback
        return format_timestamp(seconds, always_hours=self.always_hours)

    def link(self, seconds: float | None, fallback: str = "") -> str:
        text = self.label(seconds, fallback)
        if not text:
            return ""
        if self.source.video_id and seconds is not None:
            return f"[{text}]({watch_url(self.source.video_id, seconds)})"
        return f"[{text}]" if seconds is not None else text

    def segment_link(self, index: int, fallback: str = "") -> str:
        seconds = self.seconds(index)
        return self.link(seconds, fallback or f"¶{index + 1}")


def _with_citations(text: str, citations: Sequence[Citation], stamps: _Timestamps) -> str:
    """Answer text with a timestamp link after each cited span."""
    return render_with_citations(
        text, citations, lambda c: stamps.segment_link(c.first_segment, c.label)
    )


def _highlight_text(highlight: Any, segments: Sequence[Segment]) -> str:
    first, last = highlight.first_segment, highlight.last_segment
    chosen = list(segments[first : last + 1])
    if not chosen:
        return ""
    texts = [segment.text for segment in chosen]
    if highlight.end_char is not None:
        texts[-1] = texts[-1][: highlight.end_char]
    if highlight.start_char is not None:
        texts[0] = texts[0][highlight.start_char :]
    return " ".join(part.strip() for part in texts if part.strip())


def _cloze_as_markdown(text: str) -> str:
    """Cloze text with every deletion shown in bold (escaped for Markdown)."""
    from decks import cloze

    pieces, position = [], 0
    for deletion in cloze.deletions(text):
        pieces.append(_escape_inline(text[position : deletion.start], strip=False))
        pieces.append(f"**{_escape_inline(deletion.answer)}**")
        position = deletion.end
    pieces.append(_escape_inline(text[position:], strip=False))
    return "".join(pieces).strip()


def _guides_section(conn: sqlite3.Connection, source_id: int, stamps: _Timestamps) -> list[str]:
    guides = ConversationStore(conn, recover=False).guides(source_id)
    if not guides:
        return []
    order = list(GUIDE_KINDS)
    guides.sort(key=lambda g: (order.index(g.kind) if g.kind in order else len(order), g.kind))
    lines = ["## Study guide", ""]
    for guide in guides:
        kind = GUIDE_KINDS.get(guide.kind)
        title = kind.title if kind is not None else guide.kind.capitalize()
        lines += [f"### {_escape_inline(title)}", ""]
        lines += [_block(_with_citations(guide.content, guide.citations, stamps)), ""]
    return lines


def _highlights_section(
    library: Any, source_id: int, segments: Sequence[Segment], stamps: _Timestamps
) -> list[str]:
    highlights = library.highlights(source_id)
    if not highlights:
        return []
    lines = ["## Highlights", ""]
    for highlight in highlights:
        where = stamps.segment_link(highlight.first_segment)
        text = _highlight_text(highlight, segments)
        lines.append(f"- {where} {_escape_inline(text)}".rstrip())
        if highlight.note.strip():
            lines.append(f"  - *Note:* {_escape_inline(highlight.note)}")
    lines.append("")
    return lines


def _conversations_section(
    conn: sqlite3.Connection, source_id: int, stamps: _Timestamps
) -> list[str]:
    store = ConversationStore(conn, recover=False)
    conversations = store.conversations(source_id)
    if not conversations:
        return []
    lines = ["## Conversations", ""]
    for conversation in reversed(conversations):  # oldest first reads like a notebook
        title = conversation.title or "Conversation"
        day = conversation.created_at.date().isoformat()
        lines += [f"### {_escape_inline(title)} ({day})", ""]
        for message in store.messages(conversation.id):
            if message.role == "user":
                if message.focus is not None:
                    where = stamps.segment_link(message.focus.first_segment)
                    lines += [
                        f"*About the passage at {where}:*",
                        "",
                        _quote(message.focus.text),
                        "",
                    ]
                lines += [f"**You:** {_block(message.content)}", ""]
            else:
                content = _with_citations(message.content, message.citations, stamps)
                if not content.strip():
                    continue
                suffix = "" if message.status == "complete" else f" *({message.status})*"
                lines += [f"**Claude:**{suffix}", "", _block(content), ""]
    return lines


def _cards_section(conn: sqlite3.Connection, source_id: int, stamps: _Timestamps) -> list[str]:
    from decks.repository import CardStore

    try:
        views = CardStore(conn).cards_for_source(source_id)
    except sqlite3.OperationalError:  # the decks tables are missing (older schema)
        return []
    notes: dict[int, Any] = {}
    decks: dict[int, str] = {}
    for view in views:
        if view.note.id not in notes:
            notes[view.note.id] = view.note
            decks[view.note.id] = view.deck_name
    if not notes:
        return []
    lines = ["## Cards", ""]
    for note_id, note in notes.items():
        kind = str(getattr(note.kind, "value", note.kind))
        meta = [f"deck {_escape_inline(decks[note_id])}", kind]
        if note.tags:
            meta.append("tags " + ", ".join(_escape_inline(tag) for tag in note.tags))
        start = note.source.start_s if note.source is not None else None
        if start is not None:
            meta.append(stamps.link(start))
        # Two trailing spaces: a line break inside the list item.
        if kind == "cloze":
            lines.append(f"- {_cloze_as_markdown(note.front)}  ")
            if note.back.strip():
                lines.append(f"  *Extra:* {_escape_inline(note.back)}  ")
        else:
            lines.append(f"- **Q:** {_escape_inline(note.front)}  ")
            lines.append(f"  **A:** {_escape_inline(note.back)}  ")
        lines.append(f"  *{' · '.join(meta)}*")
    lines.append("")
    return lines


def markdown_export(source_id: int, *, conn: sqlite3.Connection | None = None) -> str:
    """The Markdown study notes for one source (MarkdownExportError if it does not exist)."""
    from core.library import Library

    library = Library(conn)
    try:
        source = library.source(source_id)
        if source is None:
            raise MarkdownExportError(f"No transcript with id {source_id}.")
        segments = library.segments(source_id)
        stamps = _Timestamps(source, segments)
        link = watch_url(source.video_id, None) if source.video_id else None
        lines = [f"# {_escape_inline(source.title) or 'Untitled'}", ""]
        details = []
        if link:
            details.append(f"Video: <{link}>")
        elif source.origin:
            details.append(f"Source: {_escape_inline(source.origin)}")
        if source.duration_s:
            details.append(f"Length: {format_timestamp(source.duration_s, always_hours=False)}")
        if source.language:
            details.append(f"Language: {_escape_inline(source.language)}")
        details.append(f"Imported: {source.imported_at.date().isoformat()}")
        lines += ["  \n".join(details), ""]
        db = library.conn
        lines += _guides_section(db, source_id, stamps)
        lines += _highlights_section(library, source_id, segments, stamps)
        lines += _conversations_section(db, source_id, stamps)
        lines += _cards_section(db, source_id, stamps)
        return "\n".join(lines).rstrip() + "\n"
    finally:
        if conn is None:
            library.close()


def write_markdown_export(
    source_id: int, out: Any, *, force: bool = False, conn: sqlite3.Connection | None = None
) -> str:
    """Write `markdown_export(source_id)` to a user-given path (refuses to overwrite)."""
    from core.backup import check_output_path, write_text_file

    check_output_path(out, force=force)  # fail before doing the work
    text = markdown_export(source_id, conn=conn)
    return str(write_text_file(out, text, force=force, newline="\n"))
