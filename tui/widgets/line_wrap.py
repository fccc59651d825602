"""Wrapping a segment's text into screen lines: line-start offsets per width, computed
once per width so the transcript view can find any line with a prefix sum."""

from __future__ import annotations

from rich.cells import cell_len, get_character_cell_size

MIN_TEXT_WIDTH = 12


def _fit(text: str, start: int, end: int, width: int) -> int:
    """How many characters from `start` fit in `width` cells (at least one)."""
    used = 0
    position = start
    while position < end:
        size = get_character_cell_size(text[position])
        if used + size > width and position > start:
            break
        used += size
        position += 1
    return position - start


def _wrap_paragraph(
    text: str, start: int, end: int, first: int, rest: int, starts: list[int]
) -> None:
    """Greedy word wrap of text[start:end]; appends the start offset of each extra line."""
    width = first
    simple = text.isascii()
    position = start
    while True:
        remaining = end - position
        if simple:
            if remaining <= width:
                return
            cut = text.rfind(" ", position, position + width + 1)
            if cut > position:
                position = cut + 1
            else:
                position += max(1, width)
        else:
            if cell_len(text[position:end]) <= width:
                return
            fits = _fit(text, position, end, width)
            cut = text.rfind(" ", position, position + fits + 1)
            position = cut + 1 if cut > position else position + fits
        if position >= end:
            return
        starts.append(position)
        width = rest


def wrap_starts(text: str, first: int, rest: int) -> tuple[int, ...]:
    """Start offsets of the wrapped lines of `text`: the first line is `first` cells wide
    (it shares the row with the time stamp and speaker), later ones `rest`. Newlines in
    the text are hard breaks; words longer than a line are split."""
    first = max(1, first)
    rest = max(1, rest)
    if "\n" not in text:
        if len(text) <= first and text.isascii():
            return (0,)
        starts = [0]
        _wrap_paragraph(text, 0, len(text), first, rest, starts)
        return tuple(starts)
    starts = [0]
    position = 0
    width = first
    for index, paragraph in enumerate(text.split("\n")):
        if index:
            starts.append(position)
            width = rest
        _wrap_paragraph(text, position, position + len(paragraph), width, rest, starts)
        position += len(paragraph) + 1
    return tuple(starts)
