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
