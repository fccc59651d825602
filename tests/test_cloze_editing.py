"""Writing cloze deletions: the card editor's ctrl+l and passage selections (decks.cloze)."""

from __future__ import annotations

import pytest

from decks.cloze import locate_fragment, next_cloze_number, wrap_cloze


def test_wrap_cloze_numbers_and_trims_spaces() -> None:
    assert wrap_cloze("a b c", 2, 4) == ("a {{c1::b}} c", 1)
    text, number = wrap_cloze("a {{c1::b}} c", 12, 13)
    assert (text, number) == ("a {{c1::b}} {{c2::c}}", 2)
    with pytest.raises(ValueError, match="Select the words"):
        wrap_cloze("a b", 1, 2)
    with pytest.raises(ValueError, match="overlaps"):
        wrap_cloze("a {{c1::b}} c", 0, 6)
    assert next_cloze_number("{{c3::x}} {{c1::y}}") == 4


def test_locate_fragment_prefers_the_occurrence_at_the_passage_offset() -> None:
    text = "one two {{c1::one}} two one"
    # plain text: "one two one two one"; the last "one" is at plain offset 16
    assert locate_fragment(text, "one", 16) == text.rindex("one")
    assert locate_fragment(text, "one", 0) == 0
    assert locate_fragment(text, "zzz", 0) is None
