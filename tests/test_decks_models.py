"""Cloze parsing, names and tags, the stored time format, and dataclass round trips."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from decks import cloze
from decks.models import (
    Card,
    CardState,
    Deck,
    Note,
    NoteKind,
    Preset,
    ReviewLog,
    SourceRef,
    deck_name_for_title,
    from_db_time,
    normalise_deck_name,
    normalise_tags,
    to_db_time,
)

# -- cloze ----------------------------------------------------------------------------


def test_cloze_numbers_and_rendering() -> None:
    text = "The {{c1::mitochondria}} is the {{c2::powerhouse::role}} of the {{c1::cell}}."
    assert cloze.numbers(text) == [1, 2]
    assert cloze.render_front(text, 1) == "The [...] is the powerhouse of the [...]."
    assert cloze.render_front(text, 2) == "The mitochondria is the [role] of the cell."
    assert cloze.render_back(text, 2) == "The mitochondria is the powerhouse of the cell."
    assert cloze.render_back(text, 1, "extra") == (
        "The mitochondria is the powerhouse of the cell.\n\nextra"
    )
    assert cloze.answers(text, 1) == ["mitochondria", "cell"]


def test_cloze_parts_mark_the_asked_deletion() -> None:
    parts = cloze.parts("a {{c1::b}} c {{c2::d}}", 2, reveal=False)
    assert [(p.text, p.asked, p.hidden) for p in parts] == [
        ("a ", False, False),
        ("b", False, False),
        (" c ", False, False),
        ("[...]", True, True),
    ]
    revealed = cloze.parts("a {{c1::b}}", 1, reveal=True)
    assert revealed[-1].text == "b" and revealed[-1].asked and not revealed[-1].hidden


def test_cloze_answer_may_hold_colons_and_newlines() -> None:
    text = "Time {{c1::12:30\npm}} and {{c3::x::a hint}}"
    assert cloze.numbers(text) == [1, 3]
    assert cloze.render_front(text, 1) == "Time [...] and x"
    assert cloze.render_back(text, 1) == "Time 12:30\npm and x"
    assert cloze.render_front(text, 3) == "Time 12:30\npm and [a hint]"


def test_cloze_errors_are_explained() -> None:
    with pytest.raises(cloze.ClozeError, match=r"\{\{c1::answer\}\}"):
        cloze.validate("no deletions here")
    with pytest.raises(cloze.ClozeError, match="empty answer"):
        cloze.validate("{{c1:: }}")
    assert cloze.numbers("{{c0::zero}} is not a deletion") == []


@given(st.text(alphabet=st.characters(blacklist_characters="{}"), min_size=1, max_size=30))
def test_cloze_round_trips_any_answer(answer: str) -> None:
    if "::" in answer or answer.endswith(":") or not answer.strip():
        return
    text = f"before {{{{c1::{answer}}}}} after"
    assert cloze.render_back(text, 1) == f"before {answer} after"
    assert cloze.render_front(text, 1) == "before [...] after"


# -- names, tags, times -----------------------------------------------------------------


def test_deck_names_and_tags_are_normalised() -> None:
    assert normalise_deck_name(" Talks ::  Physics  Now::x") == "Talks::Physics Now::x"
    for bad in ("", "A::", "::B", "A:: ::B"):
        with pytest.raises(ValueError):
            normalise_deck_name(bad)
    assert deck_name_for_title("Part 1 :: intro") == "Part 1 : intro"
    assert deck_name_for_title("   ") == "Default"
    assert normalise_tags("a, b  c,A") == ("a", "b", "c")
    assert normalise_tags(["x y", "x"]) == ("x", "y")
    assert normalise_tags(None) == ()


def test_db_time_is_fixed_width_utc() -> None:
    berlin = timezone(timedelta(hours=1))
    text = to_db_time(datetime(2026, 1, 5, 10, 0, tzinfo=berlin))
    assert text == "2026-01-05T09:00:00.000000+00:00"
    parsed = from_db_time(text)
    assert parsed is not None and parsed.tzinfo is UTC
    assert from_db_time(None) is None


@given(
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(9998, 1, 1)),
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(9998, 1, 1)),
)
def test_db_time_text_order_is_time_order(a: datetime, b: datetime) -> None:
    ta, tb = to_db_time(a.replace(tzinfo=UTC)), to_db_time(b.replace(tzinfo=UTC))
    assert len(ta) == len(tb) == 32
    assert (ta < tb) == (a < b)
    assert from_db_time(ta) == a.replace(tzinfo=UTC)


# -- round trips ------------------------------------------------------------------------

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_dataclasses_round_trip_through_dicts() -> None:
    card = Card(
        id=3,
        note_id=2,
        ord=1,
        deck_id=4,
        state=CardState.RELEARNING,
        due=NOW,
        step=0,
        stability=2.5,
        difficulty=6.1,
        last_review=NOW - timedelta(days=1),
        reps=7,
        lapses=2,
        suspended=True,
        buried_until=NOW + timedelta(hours=3),
        created_at=NOW,
        modified_at=NOW,
    )
    assert Card.from_dict(card.to_dict()) == card
    note = Note(
        id=2,
        guid="abc",
        kind=NoteKind.CLOZE,
        front="{{c1::x}}",
        back="e",
        tags=("a", "leech"),
        source=SourceRef(None, "Gone talk", 3, 4, 12.5, None),
        created_at=NOW,
        modified_at=NOW,
    )
    again = Note.from_dict(note.to_dict())
    assert again == note and again.is_leech and again.source is not None and again.source.gone
    deck = Deck(5, "A::B", 4, 2, NOW)
    assert Deck.from_dict(deck.to_dict()) == deck
    assert deck.leaf == "B" and deck.depth == 1 and deck.contains("a::b::c")
    assert not deck.contains("A::Bc")
    preset = Preset(2, "Hard", tuple(float(i) for i in range(21)), 0.85, ("1m",), ("5m",), 100)
    assert Preset.from_dict(preset.to_dict()) == preset
    log = ReviewLog(1, 3, 4, NOW, 1500, card.scheduling_state(), "typed")
    assert ReviewLog.from_dict(log.to_dict()) == log
    assert log.prior_state == CardState.RELEARNING


def test_decks_package_does_not_import_textual() -> None:
    code = (
        "import sys, decks.models, decks.cloze, decks.scheduling, decks.repository, "
        "decks.queue, decks.review, decks.browse; "
        "print('textual' in sys.modules, 'anthropic' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]
