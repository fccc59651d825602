"""core.textsafe: every control a terminal acts on is made visible, C0 and C1 alike."""

from __future__ import annotations

import pytest

from core.textsafe import inert, inert_line

# ESC-introduced (7-bit) and single-byte (8-bit C1) forms of the dangerous sequences.
ATTACKS = [
    "\x1b[31mred\x1b[0m",  # SGR colour
    "\x1b]0;pwned\x07",  # OSC window title
    "\x1b]52;c;ZXZpbA==\x07",  # OSC 52 clipboard write
    "\x9b31mred",  # C1 CSI
    "\x9d0;pwned\x9c",  # C1 OSC ... ST
    "\x90qsixel\x9c",  # C1 DCS
    "\x9e\x9f\x85\x8d",  # PM, APC, NEL, RI
    "bell\x07 backspace\x08 del\x7f cr\r",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_no_control_survives(attack: str) -> None:
    for made_safe in (inert(attack), inert_line(attack)):
        assert not any(
            (ord(char) < 0x20 and char not in "\n\t") or 0x7F <= ord(char) <= 0x9F
            for char in made_safe
        ), repr(made_safe)


def test_text_and_layout_are_kept() -> None:
    assert inert("café\tline\nnext ␛ 日本") == "café\tline\nnext ␛ 日本"
    assert inert_line("a\nb\tc\r\nd") == "a b c d"
    assert inert("\x1b[1m") == "␛[1m"  # visible, not deleted: the reader sees what was there
