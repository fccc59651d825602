"""`focus_from_selection`: the passage "ask about selection" sends (hand-written cases)."""

from __future__ import annotations

from core.chat.focus import focus_from_selection
from core.chat.models import Focus
from core.models import Segment, Source, Transcript


def talk(*texts: str) -> Transcript:
    segments = [Segment(text, start=3.0 * i, end=3.0 * i + 3) for i, text in enumerate(texts)]
    return Transcript(Source(title="Talk", origin="tests"), segments)


def test_a_selected_range_keeps_the_selected_text() -> None:
    transcript = talk("Zero.", "One here.", "Two there.", "Three.")
    focus = focus_from_selection(transcript, (1, 2, 4, 5), 0, "  here. Two th ")
    assert focus == Focus(1, 2, "here. Two th")


def test_a_blank_selected_text_takes_the_whole_segments() -> None:
    transcript = talk("Zero.", "One here.", "Two there.", "Three.")
    focus = focus_from_selection(transcript, (1, 2, None, None), 3, " ")
    assert focus == Focus(1, 2, "One here. Two there.")


def test_without_a_selection_the_cursor_segment_is_the_passage() -> None:
    transcript = talk("Zero.", "One here.", "Two there.")
    assert focus_from_selection(transcript, None, 2, "") == Focus(2, 2, "Two there.")
    assert focus_from_selection(transcript, None, 0, "Zero.") == Focus(0, 0, "Zero.")


def test_an_empty_transcript_has_no_passage() -> None:
    assert focus_from_selection(talk(), None, 0, "") is None
    assert focus_from_selection(talk(), (0, 0, None, None), 0, "text") is None
