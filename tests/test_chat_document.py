"""The transcript as a document block, citations back to segments, windows, cost, prompts."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.chat.cost import estimate_cost, format_cost, price_for
from core.chat.document import (
    DocumentMap,
    build_document,
    citation_for,
    group_segments,
    segment_label,
    window_around,
)
from core.chat.models import Citation, Focus, Usage, render_with_citations
from core.chat.prompts import GUIDE_KINDS, SYSTEM_PROMPT, guide_kind, question_text
from core.config import DEFAULT_PRICES
from core.models import Segment, Source, Transcript


def make_transcript(count: int = 100, *, timed: bool = True, words: int = 8) -> Transcript:
    segments = [
        Segment(
            " ".join(f"w{i}_{j}" for j in range(words)),
            i * 4.0 if timed else None,
            i * 4.0 + 4 if timed else None,
        )
        for i in range(count)
    ]
    return Transcript(Source(f"Talk of {count}", "test"), segments)


def test_blocks_cover_every_segment_once_in_order() -> None:
    transcript = make_transcript(257)
    document = build_document(transcript)
    blocks = document.map.blocks
    assert blocks[0][0] == 0 and blocks[-1][1] == 256
    for (_, last), (first, _) in itertools.pairwise(blocks):
        assert first == last + 1
    assert 1 < len(blocks) < 257  # grouped, not one block per segment


def test_each_block_starts_with_its_timestamp() -> None:
    transcript = make_transcript(50)
    document = build_document(transcript)
    texts = [b["text"] for b in document.block["source"]["content"]]
    for text, (first, _last) in zip(texts, document.map.blocks, strict=True):
        minutes, seconds = divmod(int(first * 4), 60)
        assert text.startswith(f"[00:{minutes:02d}:{seconds:02d}] ")
        assert f"w{first}_0" in text


def test_untimed_blocks_use_paragraph_numbers() -> None:
    transcript = make_transcript(10, timed=False, words=80)
    document = build_document(transcript)
    texts = [b["text"] for b in document.block["source"]["content"]]
    assert texts[0].startswith("[¶1] ")
    assert segment_label(transcript.segments, 3) == "¶4"


def test_document_block_shape() -> None:
    document = build_document(make_transcript(20))
    block = document.block
    assert block["type"] == "document"
    assert block["citations"] == {"enabled": True}
    assert block["cache_control"] == {"type": "ephemeral"}
    assert block["source"]["type"] == "content"
    assert all(b["type"] == "text" for b in block["source"]["content"])
    assert block["title"] == "Talk of 20"
    assert "context" not in block


def test_speaker_change_starts_a_new_block() -> None:
    segments = [
        Segment("Hello there.", 0, 1, "Ann"),
        Segment("Hi.", 1, 2, "Bob"),
        Segment("How are you?", 2, 3, "Bob"),
    ]
    groups = group_segments(segments)
    assert groups == [(0, 0), (1, 2)]
    document = build_document(Transcript(Source("t", "o"), segments))
    texts = [b["text"] for b in document.block["source"]["content"]]
    assert texts[1] == "[00:00:01] Bob: Hi. How are you?"


def test_citation_block_range_maps_to_segments() -> None:
    document_map = DocumentMap(((0, 4), (5, 9), (10, 12)))
    assert document_map.segments_for(0, 1) == (0, 4)
    assert document_map.segments_for(1, 3) == (5, 12)
    assert document_map.segments_for(2, 99) == (10, 12)  # clamped
    assert document_map.segments_for(3, 4) is None  # beyond the document


def test_citation_for_labels_with_the_first_segment_time() -> None:
    transcript = make_transcript(300)
    document = build_document(transcript)
    citation = citation_for(transcript, document.map, 2, 4, "cited", start=3, end=9)
    assert citation is not None
    first = document.map.blocks[2][0]
    assert citation.first_segment == first
    assert citation.last_segment == document.map.blocks[3][1]
    minutes, seconds = divmod(int(first * 4), 60)
    assert citation.label == f"00:{minutes:02d}:{seconds:02d}"


def test_window_around_cursor_is_centred_bounded_and_stable() -> None:
    transcript = make_transcript(2000)
    per_segment = len(transcript.segments[1000].text) + 13
    max_chars = per_segment * 200
    first, last = window_around(transcript, 1000, max_chars)
    assert first <= 1000 <= last
    used = sum(len(s.text) + 13 for s in transcript.segments[first : last + 1])
    assert 0.9 * max_chars <= used <= max_chars
    assert abs((1000 - first) - (last - 1000)) < 40  # roughly centred
    # A small move of the cursor keeps the same excerpt (prompt cache keeps working).
    assert window_around(transcript, 1003, max_chars) == (first, last)
    # Edges: the window stays inside the transcript and contains the cursor.
    start = window_around(transcript, 0, max_chars)
    end = window_around(transcript, 1999, max_chars)
    assert start[0] == 0 and end[1] == 1999
    assert window_around(transcript, 5, 10**9) == (0, 1999)


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=300),
    cursor=st.integers(min_value=-5, max_value=400),
    max_chars=st.integers(min_value=1, max_value=20_000),
)
def test_window_always_holds_the_cursor_and_stays_in_range(lengths, cursor, max_chars) -> None:
    segments = [Segment("x" * n, float(i), float(i + 1)) for i, n in enumerate(lengths)]
    transcript = Transcript(Source("t", "o"), segments)
    first, last = window_around(transcript, cursor, max_chars)
    clamped = min(max(cursor, 0), len(segments) - 1)
    assert 0 <= first <= clamped <= last < len(segments)
    groups = group_segments(segments, first, last)
    assert groups[0][0] == first and groups[-1][1] == last
    assert all(a <= b for a, b in groups)


def test_excerpt_document_says_which_part() -> None:
    transcript = make_transcript(1000)
    document = build_document(transcript, (100, 199))
    assert document.excerpt
    assert document.map.first_segment == 100 and document.map.last_segment == 199
    assert document.block["context"].startswith("excerpt: 00:06:40–00:13:20 of 01:06:40")


def test_render_with_citations_puts_markers_after_spans() -> None:
    text = "Spacing helps. Testing helps more."
    citations = [
        Citation(0, 1, "x", "00:00:04", start=0, end=14),
        Citation(5, 6, "y", "00:01:00", start=14, end=len(text)),
        Citation(5, 6, "y", "00:01:00", start=14, end=len(text)),  # duplicate once
    ]
    assert render_with_citations(text, citations) == (
        "Spacing helps. [00:00:04] Testing helps more. [00:01:00]"
    )


def test_cost_estimate_uses_the_price_table() -> None:
    usage = Usage(1_000_000, 1_000_000, 1_000_000, 1_000_000)
    assert estimate_cost(usage, "claude-sonnet-5-5", DEFAULT_PRICES) == pytest.approx(
        3 + 15 + 3.75 + 0.30
    )
    assert estimate_cost(usage, "claude-haiku-5-5-20261001", DEFAULT_PRICES) == pytest.approx(
        1 + 5 + 1.25 + 0.10
    )
    assert estimate_cost(usage, "unknown-model", DEFAULT_PRICES) is None
    assert price_for("claude-opus-5-5", DEFAULT_PRICES)["output"] == 25.0
    assert format_cost(0.001234) == "$0.0012"
    assert format_cost(1.5) == "$1.50"
    assert format_cost(None) == "$?"


def test_usage_line_and_sum() -> None:
    total = Usage(1, 2, 3, 4) + Usage(10, 20, 30, 40)
    assert total.line() == "tokens: in=11 out=22 cache_write=33 cache_read=44"
    assert Usage.from_dict(total.to_dict()) == total


def test_guide_kinds_and_aliases() -> None:
    assert list(GUIDE_KINDS) == [
        "preread",
        "ideas",
        "vocabulary",
        "references",
        "people",
        "questions",
    ]
    assert guide_kind("Vocab").name == "vocabulary"
    assert guide_kind("pre-read").name == "preread"
    with pytest.raises(KeyError, match="choose one of"):
        guide_kind("summary")
    assert "3 to 4" in GUIDE_KINDS["preread"].request
    assert "numbered" in GUIDE_KINDS["ideas"].request
    assert "—" in GUIDE_KINDS["vocabulary"].request


def test_system_prompt_sets_the_role() -> None:
    assert "study companion" in SYSTEM_PROMPT
    assert "does not" in SYSTEM_PROMPT  # says when something is not in the transcript
    assert "quiz" in SYSTEM_PROMPT


def test_question_text_frames_the_focus_passage() -> None:
    focus = Focus(3, 4, "the selected words")
    text = question_text("Why?", focus, "00:00:12–00:00:20")
    assert "<passage>\nthe selected words\n</passage>" in text
    assert "00:00:12–00:00:20" in text
    assert text.endswith("Why?")
    assert question_text("  Plain?  ", None) == "Plain?"


def test_chat_domain_imports_neither_textual_nor_anthropic() -> None:
    code = (
        "import sys, core.chat.service, core.chat.store, core.chat.client, core.chat.structured, "
        "core.quiz, core.recall, decks.proposals, tui.cli.chat; "
        "print('textual' in sys.modules, 'anthropic' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]
