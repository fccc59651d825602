"""Anki cloze deletions: `{{c1::answer}}` and `{{c1::answer::hint}}`.

One card per cloze number. On card n the deletions numbered n are hidden (`[...]`, or
`[hint]` when a hint is given) and every other deletion shows its answer as plain text.
`parts()` returns the pieces with flags so a screen can style the asked deletion; the
string renderers are for the CLI and tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Non-greedy answer, optional `::hint`; answers may span lines. Nesting is not supported.
CLOZE_PATTERN = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.DOTALL)
HIDDEN = "[...]"


class ClozeError(ValueError):
    """Cloze text without any usable `{{cN::...}}`; the message says how to write one."""


@dataclass(frozen=True, slots=True)
class Deletion:
    number: int
    answer: str
    hint: str | None
    start: int  # offsets of the whole `{{...}}` in the text
    end: int


@dataclass(frozen=True, slots=True)
class Part:
    """A piece of rendered cloze text. `asked` marks the deletion the card is about."""

    text: str
    asked: bool = False
    hidden: bool = False


def deletions(text: str) -> list[Deletion]:
    """Every cloze deletion in order of appearance (numbers below 1 are not deletions)."""
    found = []
    for match in CLOZE_PATTERN.finditer(text):
        number = int(match.group(1))
        if number < 1:
            continue
        hint = match.group(3)
        found.append(
            Deletion(number, match.group(2), hint if hint else None, match.start(), match.end())
        )
    return found


def numbers(text: str) -> list[int]:
    """The distinct cloze numbers, sorted: one card each."""
    return sorted({deletion.number for deletion in deletions(text)})


def validate(text: str) -> list[int]:
    """The cloze numbers, or ClozeError when there are none or an answer is empty."""
    found = deletions(text)
    if not found:
        raise ClozeError(
            "No cloze deletion found: mark the hidden part as {{c1::answer}} "
            "(or {{c1::answer::hint}})."
        )
    for deletion in found:
        if not deletion.answer.strip():
            raise ClozeError(f"Cloze c{deletion.number} has an empty answer.")
    return sorted({deletion.number for deletion in found})


def parts(text: str, number: int, *, reveal: bool) -> list[Part]:
    """The text for card `number`, split so the asked deletions can be styled."""
    result: list[Part] = []
    position = 0
    for deletion in deletions(text):
        if deletion.start > position:
            result.append(Part(text[position : deletion.start]))
        if deletion.number == number:
            if reveal:
                result.append(Part(deletion.answer, asked=True))
            else:
                shown = f"[{deletion.hint}]" if deletion.hint else HIDDEN
                result.append(Part(shown, asked=True, hidden=True))
        else:
            result.append(Part(deletion.answer))
        position = deletion.end
    if position < len(text):
        result.append(Part(text[position:]))
    return result


def render_front(text: str, number: int) -> str:
    """The question: deletions `number` hidden as `[...]` or `[hint]`, others shown."""
    return "".join(part.text for part in parts(text, number, reveal=False))


def render_back(text: str, number: int, extra: str = "") -> str:
    """The answer: the whole text with every deletion filled in, then the extra if any."""
    filled = "".join(part.text for part in parts(text, number, reveal=True))
    return f"{filled}\n\n{extra}" if extra.strip() else filled


def answers(text: str, number: int) -> list[str]:
    """The hidden answers of card `number` (for checking a typed answer later)."""
    return [d.answer for d in deletions(text) if d.number == number]


# -- writing deletions (the card editor) ----------------------------------------------


def next_cloze_number(text: str) -> int:
    """The number the next deletion gets: one more than the highest so far."""
    return max(numbers(text), default=0) + 1


def _inside_deletion(text: str, start: int, end: int) -> bool:
    return any(start < deletion.end and end > deletion.start for deletion in deletions(text))


def wrap_cloze(text: str, start: int, end: int, number: int | None = None) -> tuple[str, int]:
    """Wrap text[start:end] as `{{cN::...}}` (surrounding spaces stay outside).

    Returns (new text, number). Raises ValueError for an empty selection or one that
    overlaps an existing deletion.
    """
    start, end = sorted((start, end))
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        raise ValueError("Select the words to hide first (shift+arrows), then press ctrl+l.")
    if _inside_deletion(text, start, end) or "{{" in text[start:end] or "}}" in text[start:end]:
        raise ValueError("That selection overlaps a cloze deletion already made.")
    number = number or next_cloze_number(text)
    wrapped = f"{{{{c{number}::{text[start:end]}}}}}"
    return text[:start] + wrapped + text[end:], number


def locate_fragment(text: str, fragment: str, plain_offset: int) -> int | None:
    """Where `fragment` (selected in the passage at `plain_offset`) is in the cloze text.

    The cloze text started as a copy of the passage, so an occurrence outside existing
    deletions whose position in the text-without-markup is nearest `plain_offset` wins.
    """
    if not fragment:
        return None
    spans: list[tuple[int, int, int]] = []  # (text start, text end, plain start) outside
    position = plain = 0
    for deletion in deletions(text):
        spans.append((position, deletion.start, plain))
        plain += deletion.start - position + len(deletion.answer)
        position = deletion.end
    spans.append((position, len(text), plain))
    best: tuple[int, int] | None = None
    for span_start, span_end, plain_start in spans:
        index = text.find(fragment, span_start, span_end)
        while index != -1:
            distance = abs(plain_start + index - span_start - plain_offset)
            if best is None or distance < best[0]:
                best = (distance, index)
            index = text.find(fragment, index + 1, span_end)
    return None if best is None else best[1]


def deletion_end(text: str, number: int) -> int:
    """Where the cursor goes after marking deletion `number`: just after its `}}`."""
    ends = [deletion.end for deletion in deletions(text) if deletion.number == number]
    return max(ends, default=len(text))
