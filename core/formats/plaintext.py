"""Plain text without timing: paragraphs become untimed segments.

A paragraph longer than a few sentences (a pasted transcript is often one enormous line)
is cut into groups of up to four sentences and about 400 characters, so highlights and
chat citations point at something readable. A line `Name:` alone at the top of a
paragraph (what Ponder's own text export writes) names the speaker from there on.
"""

from __future__ import annotations

import re

from core.formats.cleanup import collapse, finalize
from core.formats.errors import TranscriptImportError
from core.formats.result import Parsed
from core.models import Segment

GROUP_CHARS = 400
GROUP_SENTENCES = 4
LONG_PARAGRAPH = 600

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\f\v]*\n")
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)|[。！？]+[」』”’）]*")
_SPEAKER_LINE = re.compile(r"^[ \t]*([A-Za-z\u00c0-\uffff][\w .'’&-]{0,39}?)[ \t]*:[ \t]*$")


def split_sentences(text: str) -> list[str]:
    """Sentences of single-spaced text (abbreviations may cut early; grouping hides it)."""
    out = []
    at = 0
    for match in _SENTENCE_END.finditer(text):
        piece = text[at : match.end()].strip()
        if piece:
            out.append(piece)
        at = match.end()
    rest = text[at:].strip()
    if rest:
        out.append(rest)
    return out


def _wrap_words(text: str, limit: int) -> list[str]:
    """Cut an over-long sentence at spaces (or hard, for text without any)."""
    chunks: list[str] = []
    current = ""
    for word in text.split(" "):
        while len(word) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(word[:limit])
            word = word[limit:]
        if current and len(current) + 1 + len(word) > limit:
            chunks.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        chunks.append(current)
    return chunks


def sentence_groups(text: str, limit: int = GROUP_CHARS) -> list[str]:
    """Readable pieces of a long paragraph: 1-4 sentences, at most about `limit` chars."""
    groups: list[str] = []
    current: list[str] = []
    size = 0
    for sentence in split_sentences(text):
        if len(sentence) > limit:
            if current:
                groups.append(" ".join(current))
                current, size = [], 0
            groups.extend(_wrap_words(sentence, limit))
            continue
        if current and (size + 1 + len(sentence) > limit or len(current) >= GROUP_SENTENCES):
            groups.append(" ".join(current))
            current, size = [], 0
        current.append(sentence)
        size += len(sentence) + (1 if size else 0)
    if current:
        groups.append(" ".join(current))
    return groups


def paragraph_pieces(text: str) -> list[str]:
    """One paragraph as it should be stored: whole, or in sentence groups if very long."""
    text = collapse(text)
    if len(text) <= LONG_PARAGRAPH:
        return [text] if text else []
    return sentence_groups(text)


def parse_plaintext(text: str) -> Parsed:
    if not any(ch.isalnum() for ch in text):
        raise TranscriptImportError("no transcript text found")
    paragraphs = [
        [line for line in block.split("\n") if line.strip()]
        for block in _PARAGRAPH_BREAK.split(text)
    ]
    paragraphs = [lines for lines in paragraphs if lines]
    heads = [_SPEAKER_LINE.match(lines[0]) for lines in paragraphs]
    use_speakers = sum(1 for head in heads if head) >= 2 and heads[0] is not None
    segments: list[Segment] = []
    speaker: str | None = None
    for lines, head in zip(paragraphs, heads, strict=True):
        if use_speakers and head:
            speaker = collapse(head.group(1))
            lines = lines[1:]
        for piece in paragraph_pieces(" ".join(lines)):
            segments.append(Segment(piece, None, None, speaker))
    return Parsed("text", finalize(segments))
