"""Caption fragments joined into sentences, with speaker turns, against hand-made cues."""

from __future__ import annotations

from core.caption_sentences import MAX_SECONDS, join_into_sentences
from core.models import Segment


def rows(segments: list[Segment]) -> list[tuple[str, float | None, float | None]]:
    return [(s.text, s.start, s.end) for s in segments]


def test_fragments_become_sentences_keeping_each_sentences_start() -> None:
    cues = [
        Segment("so the first thing", 0.0, 2.0),
        Segment("you notice is the weight.", 2.0, 4.0),
        Segment("It is light. And the screen", 4.0, 8.0),  # a sentence starts mid-cue
        Segment("is sharp.", 8.0, 9.0),
    ]
    assert rows(join_into_sentences(cues)) == [
        ("so the first thing you notice is the weight.", 0.0, 4.0),
        ("It is light.", 4.0, 5.778),  # ends 12 of the cue's 27 characters in
        ("And the screen is sharp.", 5.926, 9.0),  # starts 13 characters in
    ]


def test_speaker_dashes_and_chevrons_start_a_new_segment_without_the_marker() -> None:
    cues = [
        Segment("- How long did it take? - About", 0.0, 4.0),
        Segment("three years, give or take", 4.0, 6.0),
        Segment(">> and the hardest part was", 6.0, 8.0),
        Segment("the well-known trade - off", 8.0, 10.0),  # dashes inside a sentence stay
    ]
    assert [s.text for s in join_into_sentences(cues)] == [
        "How long did it take?",
        "About three years, give or take",
        "and the hardest part was the well-known trade - off",
    ]


def test_unpunctuated_captions_are_cut_at_pauses_and_never_grow_past_the_cap() -> None:
    before = [Segment(f"word{i} word", i * 2.0, i * 2.0 + 2) for i in range(5)]  # 0-10 s
    after = [Segment(f"word{i} word", i * 2.0 + 15, i * 2.0 + 17) for i in range(5, 40)]
    cues = [*before, Segment("after a pause", 13.0, 15.0), *after]  # 3 s of silence first
    joined = join_into_sentences(cues)
    assert joined[0].text == "word0 word word1 word word2 word word3 word word4 word"
    assert joined[1].text.startswith("after a pause")
    assert all((s.end or 0) - (s.start or 0) <= MAX_SECONDS for s in joined)
    assert " ".join(s.text for s in joined) == " ".join(c.text for c in cues)  # nothing lost
    starts = [s.start or 0 for s in joined]
    assert starts == sorted(starts)
