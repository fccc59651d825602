"""Transcript readers: detection by content, every format, decoding and refusals."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from core.formats import TranscriptImportError, parse_bytes, parse_document, read_file
from core.formats.cleanup import collapse
from core.formats.decode import decode_bytes
from core.models import Segment

FIXTURES = Path(__file__).parent / "fixtures" / "formats"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def texts(segments: list[Segment]) -> list[str]:
    return [seg.text for seg in segments]


def times(segments: list[Segment]) -> list[tuple[float | None, float | None]]:
    return [(seg.start, seg.end) for seg in segments]


def assert_well_formed(segments: list[Segment]) -> None:
    """The invariants every reader promises: text, order, start <= end <= next start."""
    assert segments
    for seg in segments:
        assert seg.text and seg.text == collapse(seg.text)
    if segments[0].start is None:
        assert all(seg.start is None and seg.end is None for seg in segments)
        return
    for seg, following in zip(segments, [*segments[1:], None], strict=True):
        assert seg.start is not None and seg.end is not None
        assert 0 <= seg.start <= seg.end
        if following is not None:
            assert following.start is not None
            assert seg.start <= following.start
            assert seg.end <= following.start


# -- SRT ----------------------------------------------------------------------------


def test_srt_strips_tags_and_keeps_markup_brackets() -> None:
    fmt, segments = parse_bytes(fixture("talk.srt"), "talk.srt")
    assert fmt == "srt"
    assert texts(segments) == [
        "Hello and welcome to the show.",
        "Today: memory &amp; sleep.",  # SRT has no entities: kept as typed
        "We'll start with [bold]the basics[/].",
        "- Ready? - Ready.",
    ]
    assert times(segments) == [(1.0, 3.5), (3.5, 6.0), (6.0, 9.25), (9.25, 12.0)]
    assert_well_formed(segments)


def test_srt_with_dot_milliseconds_and_no_index() -> None:
    fmt, segments = parse_bytes(fixture("no_index_dot.srt"))
    assert fmt == "srt"
    assert texts(segments) == [
        "First line without an index.",
        "Second line, milliseconds after a dot.",
        "Third.",
    ]
    assert times(segments) == [(0.5, 2.0), (2.0, 4.0), (4.0, 5.5)]


def test_srt_without_blank_lines_between_cues_drops_the_index_only() -> None:
    data = b"1\n00:00:01,000 --> 00:00:02,000\nOne\n2\n00:00:02,000 --> 00:00:03,000\nTwo\n"
    assert texts(parse_bytes(data)[1]) == ["One", "Two"]


def test_srt_text_after_a_stray_blank_line_is_not_lost() -> None:
    data = (
        b"1\n00:00:01,000 --> 00:00:02,000\nfirst part\n\nsecond part\n\n"
        b"2\n00:00:02,000 --> 00:00:03,000\nnext cue\n"
    )
    assert texts(parse_bytes(data)[1]) == ["first part second part", "next cue"]


def test_srt_short_fraction_and_hourless_times() -> None:
    data = b"1\n00:01,5 --> 00:02,25\nshort fraction\n\n2\n1:00:00,000 --> 1:00:01,000\nhour\n"
    assert times(parse_bytes(data)[1]) == [(1.5, 2.25), (3600.0, 3601.0)]


def test_latin1_srt_is_decoded_right() -> None:
    fmt, segments = parse_bytes(fixture("latin1.srt"))
    assert fmt == "srt"
    assert texts(segments) == ["Un café, s'il vous plaît.", "« Déjà vu » — naïve façade."]


def test_utf8_bom_and_crlf() -> None:
    fmt, segments = parse_bytes(fixture("bom_crlf.srt"))
    assert fmt == "srt"
    assert texts(segments) == ["Zoë said hi", "then left"]
    assert not any("\ufeff" in s.text or "\r" in s.text for s in segments)


def test_old_mac_cr_newlines_and_utf16_with_bom() -> None:
    srt = "1\r00:00:01,000 --> 00:00:02,000\rcafé\r\r2\r00:00:02,000 --> 00:00:03,000\rnext\r"
    assert texts(parse_bytes(srt.encode("utf-8"))[1]) == ["café", "next"]
    utf16 = srt.replace("\r", "\r\n").encode("utf-16")  # BOM included
    assert texts(parse_bytes(utf16)[1]) == ["café", "next"]


def test_rolling_captions_converted_to_srt_are_deduplicated() -> None:
    data = (
        b"1\n00:00:00,000 --> 00:00:02,000\nfirst spoken line\n\n"
        b"2\n00:00:02,000 --> 00:00:04,000\nfirst spoken line\nsecond spoken line\n\n"
        b"3\n00:00:04,000 --> 00:00:06,000\nsecond spoken line\nthird spoken line\n\n"
        b"4\n00:00:06,000 --> 00:00:08,000\nthird spoken line\nfourth spoken line\n"
    )
    segments = parse_bytes(data)[1]
    assert texts(segments) == [
        "first spoken line",
        "second spoken line",
        "third spoken line",
        "fourth spoken line",
    ]
    assert [seg.start for seg in segments] == [0.0, 2.0, 4.0, 6.0]


def test_a_legitimately_repeated_cue_is_kept() -> None:
    data = (
        b"1\n00:00:00,000 --> 00:00:01,000\nNo.\n\n2\n00:00:01,000 --> 00:00:02,000\nNo.\n\n"
        b"3\n00:00:02,000 --> 00:00:03,000\nAbsolutely not.\n\n"
        b"4\n00:00:03,000 --> 00:00:04,000\nWhy?\n\n5\n00:00:04,000 --> 00:00:05,000\nBecause.\n"
    )
    assert texts(parse_bytes(data)[1]) == ["No.", "No.", "Absolutely not.", "Why?", "Because."]


# -- WebVTT ---------------------------------------------------------------------------


def test_vtt_voices_entities_blocks_identifiers_and_settings() -> None:
    parsed = parse_document(fixture("lecture.vtt"), "lecture.vtt")
    assert parsed.format == "vtt"
    assert parsed.language == "en-GB"
    assert parsed.title == "Memory and learning, lecture 3"
    assert texts(parsed.segments) == [
        "Welcome to lecture three & thanks for coming.",
        "Glad to be here <again>. \u200eIt's a big topic\u00a0today.".replace("\u00a0", " "),
        "Spacing beats cramming, every time.",
        "We're an hour in — let's take a break.",
    ]
    assert [seg.speaker for seg in parsed.segments] == [
        "Dr. Ada Park",
        "Ben Ortiz",
        "Dr. Ada Park",
        None,
    ]
    assert times(parsed.segments) == [(1.0, 4.5), (4.5, 8.25), (8.25, 12.0), (3612.0, 3615.0)]
    joined = " ".join(texts(parsed.segments))
    for leaked in ("NOTE", "STYLE", "REGION", "intro-1", "::cue", "align:", "region:"):
        assert leaked not in joined


def test_vtt_two_voices_in_one_cue_become_two_segments() -> None:
    data = b"WEBVTT\n\n00:00.000 --> 00:04.000\n<v Ann>Hi there.\n<v Bo>Hello!\n"
    segments = parse_bytes(data)[1]
    assert [(s.speaker, s.text) for s in segments] == [("Ann", "Hi there."), ("Bo", "Hello!")]
    assert segments[0].start == 0.0 and segments[1].end == 4.0
    assert segments[0].end == segments[1].start
    assert 0.0 < segments[1].start < 4.0


def test_youtube_auto_captions_give_each_line_once() -> None:
    parsed = parse_document(fixture("youtube_auto.en.vtt"))
    assert parsed.format == "vtt"
    assert parsed.language == "en"
    assert texts(parsed.segments) == [
        "welcome back everyone today we're going",
        "to talk about spaced repetition",
        "and why it works so well",
        "[Music]",
        "so the forgetting curve tells us",
        "that memories fade & review restores them",
        "at just the right moment",
    ]
    # Every line starts when it was first spoken, not at a 10 ms hold cue.
    assert [seg.start for seg in parsed.segments] == [
        0.0,
        2.879,
        5.839,
        11.0,
        13.52,
        16.4,
        19.44,
    ]
    words = " ".join(texts(parsed.segments)).split()
    assert words.count("forgetting") == 1 and words.count("welcome") == 1
    assert_well_formed(parsed.segments)


def test_vtt_space_only_line_does_not_end_a_cue() -> None:
    data = (
        b"WEBVTT\n\n00:00.000 --> 00:02.000\n \nfirst line\n"
        b"00:02.000 --> 00:04.000\n \nsecond line\n"
    )
    assert texts(parse_bytes(data)[1]) == ["first line", "second line"]


def test_vtt_without_cues_is_refused() -> None:
    with pytest.raises(TranscriptImportError, match="no transcript text found"):
        parse_bytes(b"WEBVTT\nKind: captions\n\nNOTE nothing here\n")


def test_header_less_vtt_named_vtt_is_read_as_vtt() -> None:
    data = b"00:01.000 --> 00:02.000\n<v Ann>Fish &amp; chips\n"
    assert parse_bytes(data, "x.vtt") == ("vtt", [Segment("Fish & chips", 1.0, 2.0, "Ann")])
    assert parse_bytes(data, "x.txt")[0] == "srt"


# -- Whisper --------------------------------------------------------------------------


def test_whisper_cpp_output() -> None:
    fmt, segments = parse_bytes(fixture("whisper_cpp.txt"))
    assert fmt == "whisper"
    assert times(segments) == [(0.56, 3.1), (3.1, 7.34), (7.34, 10.0)]
    assert segments[0].text == "Hello everyone, and welcome to the lecture."


def test_openai_whisper_output_with_unpadded_hours_and_log_lines() -> None:
    parsed = parse_document(fixture("whisper_openai.txt"))
    assert parsed.format == "whisper"
    assert texts(parsed.segments) == [
        "So let's begin with a question.",
        "Why do we forget?",
        "Right at the hour mark.",
        "And well past it.",
    ]
    assert times(parsed.segments)[2:] == [(3598.0, 3601.5), (3723.456, 3727.0)]


def test_whisper_mixed_flavours_in_one_file() -> None:
    fmt, segments = parse_bytes(fixture("whisper_mixed.txt"))
    assert fmt == "whisper"
    assert times(segments) == [(0.0, 2.5), (2.5, 5.0), (5.0, 7.0), (3600.0, 3603.0)]


# -- Podcast --------------------------------------------------------------------------


def test_podcast_speakers_paragraphs_and_end_times() -> None:
    parsed = parse_document(fixture("podcast.txt"))
    assert parsed.format == "podcast"
    assert parsed.title == "The Learning Hour, episode 12"
    speakers = [seg.speaker for seg in parsed.segments]
    assert speakers == ["Maria Lopez", "James Chen", "James Chen", "Maria Lopez", "James Chen"]
    assert parsed.segments[0].start == 0.0 and parsed.segments[0].end == 9.0
    # James's turn (9 s to 15 s) has two paragraphs sharing the time by word count.
    assert parsed.segments[1].start == 9.0 and parsed.segments[2].end == 15.0
    assert 9.0 < parsed.segments[1].end == parsed.segments[2].start < 15.0
    assert parsed.segments[3].end == 62.0
    last = parsed.segments[-1]
    words = len(last.text.split())
    assert last.end is not None and last.start == 62.0
    assert 62.0 + words / 4 <= last.end <= 62.0 + words  # an estimate from the word count
    assert_well_formed(parsed.segments)


def test_podcast_with_minute_second_headers_and_inline_text() -> None:
    fmt, segments = parse_bytes(fixture("podcast_short_times.txt"))
    assert fmt == "podcast"
    assert [(s.speaker, s.start) for s in segments] == [
        ("Host", 0.0),
        ("Guest", 90.0),
        ("Host", 125.0),
    ]
    inline = b"Ann [00:00:01]: Hello.\nBo [00:00:03]: Hi Ann.\nAnn [00:00:05]: Bye.\n"
    fmt, segments = parse_bytes(inline)
    assert fmt == "podcast"
    assert [(s.speaker, s.text, s.start, s.end) for s in segments[:2]] == [
        ("Ann", "Hello.", 1.0, 3.0),
        ("Bo", "Hi Ann.", 3.0, 5.0),
    ]


def test_youtube_show_transcript_paste_is_timed() -> None:
    data = b"0:00\nso today we're\n0:03\ntalking about memory\n1:05:10\nan hour in\n"
    fmt, segments = parse_bytes(data)
    assert fmt == "podcast"
    assert [(s.start, s.text, s.speaker) for s in segments] == [
        (0.0, "so today we're", None),
        (3.0, "talking about memory", None),
        (3910.0, "an hour in", None),
    ]


# -- Plain text -----------------------------------------------------------------------


def test_plain_text_paragraphs_untimed_and_not_misdetected() -> None:
    fmt, segments = parse_bytes(fixture("plain.txt"))
    assert fmt == "text"
    assert len(segments) == 3
    assert all(seg.start is None and seg.end is None for seg in segments)
    assert segments[0].text == "Why spacing works"
    assert "Note [00:01]:" in segments[2].text and "-->" in segments[2].text


def test_prose_quoting_one_timing_line_stays_text() -> None:
    lines = [f"Sentence number {i} of an essay about subtitles." for i in range(20)]
    lines.insert(5, "00:00:01,000 --> 00:00:02,000")
    fmt, segments = parse_bytes("\n".join(lines).encode())
    assert fmt == "text"
    assert "00:00:01,000 --> 00:00:02,000" in " ".join(texts(segments))


def test_single_huge_line_is_split_into_sentence_groups() -> None:
    sentences = [
        f"Sentence {i} talks about memory, spacing and retrieval practice in detail."
        for i in range(300)
    ]
    line = " ".join(sentences)
    assert len(line.split()) >= 3000
    fmt, segments = parse_bytes(line.encode())
    assert fmt == "text"
    assert 40 <= len(segments) <= 160
    for seg in segments:
        assert len(seg.text) <= 400
        count = len(re.findall(r"\.(?:\s|$)", seg.text))
        assert 1 <= count <= 4
    assert " ".join(texts(segments)) == line  # nothing lost, nothing reordered


def test_huge_line_without_punctuation_is_cut_at_word_boundaries() -> None:
    words = [f"word{i}" for i in range(3000)]
    segments = parse_bytes(" ".join(words).encode())[1]
    assert all(len(seg.text) <= 400 for seg in segments)
    assert " ".join(texts(segments)).split() == words


def test_plain_text_speaker_lines_from_ponder_text_export() -> None:
    data = b"Ann:\nFirst thought.\n\nStill Ann.\n\nBo:\nA reply.\n"
    segments = parse_bytes(data)[1]
    assert [(s.speaker, s.text) for s in segments] == [
        ("Ann", "First thought."),
        ("Ann", "Still Ann."),
        ("Bo", "A reply."),
    ]


# -- JSON -----------------------------------------------------------------------------


def test_youtube_transcript_api_json_overlaps_clamped() -> None:
    fmt, segments = parse_bytes(fixture("youtube_api.json"))
    assert fmt == "youtube-json"
    assert times(segments) == [(0.0, 1.54), (1.54, 3.2), (3.2, 6.2), (6.5, 8.5)]
    assert segments[3].text == "[Music]"


def test_snippets_and_ponder_export_json_carry_metadata() -> None:
    parsed = parse_document(fixture("snippets.json"))
    assert parsed.format == "youtube-json"
    assert (parsed.video_id, parsed.language) == ("dQw4w9WgXcQ", "en")
    assert times(parsed.segments) == [(0.5, 2.5), (2.5, 4.5)]
    parsed = parse_document(fixture("ponder_export.json"))
    assert parsed.title == "How memory works"
    assert parsed.segments == [
        Segment("Memory is reconstruction.", 0.0, 4.5, "Ada"),
        Segment("Not a recording.", 4.5, 9.0, None),
    ]


def test_json_untimed_segments_and_string_times() -> None:
    data = b'{"segments": [{"text": "a", "start": null}, {"text": "b"}]}'
    assert parse_bytes(data)[1] == [Segment("a"), Segment("b")]
    data = b'[{"text": "a", "start": "00:01.500", "duration": "2"}]'
    assert times(parse_bytes(data)[1]) == [(1.5, 3.5)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"title": "x"}', "not a transcript"),
        (b"[1, 2]", "segment 1 is not an object"),
        (b'[{"start": 1}]', "segment 1 has no text"),
        (b'[{"text": "a", "start": NaN}]', "start is not a number"),
        (b'[{"text": "a", "start": -3}]', "start is negative"),
        (b'[{"text": "a", "start": 1}, {"text": "b"}]', "some segments have times"),
        (b"[]", "no transcript text found"),
        (b'[{"text": ["x"], "start": 1}]', "text is not a string"),
        (b'[{"text": "a", "start": 1' + b"0" * 400 + b"}]", "start is not a number"),
        (b'[{"text": "a", "start": 1e400}]', "start is not a number"),
    ],
)
def test_bad_json_is_refused_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(TranscriptImportError, match=message):
        parse_bytes(data)


# -- order, overlap, verbatim text ---------------------------------------------------


def test_out_of_order_and_overlapping_cues_are_sorted_and_clamped() -> None:
    data = (
        b"1\n00:00:05,000 --> 00:00:09,000\nthird\n\n"
        b"2\n00:00:00,000 --> 00:00:04,000\nfirst\n\n"
        b"3\n00:00:02,000 --> 00:00:03,000\nsecond\n\n"
        b"4\n00:00:09,000 --> 00:00:08,000\nfourth ends before it starts\n"
    )
    segments = parse_bytes(data)[1]
    assert texts(segments) == ["first", "second", "third", "fourth ends before it starts"]
    assert times(segments) == [(0.0, 2.0), (2.0, 3.0), (5.0, 9.0), (9.0, 9.0)]
    assert_well_formed(segments)


def test_equal_starts_keep_file_order() -> None:
    data = b"00:00:01,000 --> 00:00:02,000\nA\n\n00:00:01,000 --> 00:00:02,000\nB\n"
    assert texts(parse_bytes(data)[1]) == ["A", "B"]


MARKUP = "[bold red]x[/] [@click=app.quit]q[/] \x1b[31mred\x1b[0m \x1b]52;c;aGk=\x07"


@pytest.mark.parametrize(
    "template",
    [
        "1\n00:00:01,000 --> 00:00:02,000\n{m}\n",
        "WEBVTT\n\n00:01.000 --> 00:02.000\n{m}\n",
        "[00:00:01.000 --> 00:00:02.000]   {m}\n",
        "Ann [00:00:01]:\n{m}\n",
        "{m}\n",
    ],
)
def test_markup_and_escape_codes_are_stored_verbatim(template: str) -> None:
    segments = parse_bytes(template.format(m=MARKUP).encode())[1]
    assert [seg.text for seg in segments] == [MARKUP]


def test_markup_verbatim_in_json() -> None:
    import json

    data = json.dumps([{"text": MARKUP, "start": 1, "duration": 1}]).encode()
    assert parse_bytes(data)[1][0].text == MARKUP


# -- refusals -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b" \n\t\r\n ", "empty file"),
        (b"\xef\xbb\xbf", "empty file"),
        (b"abc\x00def" * 10, "binary file"),
        (bytes(range(256)) * 4, "binary file"),
        (b"\x01\x02\x03\x04 mostly controls \x05\x06\x07\x08\x0e\x0f\x10", "binary file"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "image"),
        (b"ID3\x04\x00\x00\x00" + b"\xff" * 40, "audio or video"),
        (b"\x00\x00\x00\x20ftypisom" + b"\x00" * 40, "audio or video"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "XML/HTML"),
        (b"--- *** ---\n!!!\n", "no transcript text found"),
        (b"WEBVTT\n\n00:01.000 --> 00:02.000\n<i> </i>\n", "no transcript text found"),
    ],
)
def test_bad_input_is_refused_with_one_line(data: bytes, message: str) -> None:
    with pytest.raises(TranscriptImportError) as caught:
        parse_bytes(data)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, ValueError)


# -- read_file ------------------------------------------------------------------------


def test_read_file_builds_the_source(tmp_path: Path) -> None:
    path = tmp_path / "memory_and_sleep-part2.en.vtt"
    path.write_bytes(fixture("youtube_auto.en.vtt"))
    transcript = read_file(path)
    source = transcript.source
    assert source.title == "Memory and sleep-part2"
    assert source.origin == "memory_and_sleep-part2.en.vtt"
    assert (source.kind, source.format, source.language) == ("file", "vtt", "en")
    assert source.segment_count == len(transcript.segments) == 7
    assert source.duration_s == 22.15
    assert read_file(str(path)).segments == transcript.segments


def test_read_file_title_from_plain_stem(tmp_path: Path) -> None:
    path = tmp_path / "how-we-learn.srt"
    path.write_bytes(fixture("talk.srt"))
    assert read_file(path).source.title == "How we learn"


def test_read_file_refusals(tmp_path: Path) -> None:
    with pytest.raises(TranscriptImportError, match=r"no such file: missing\.srt"):
        read_file(tmp_path / "missing.srt")
    with pytest.raises(TranscriptImportError, match="folder"):
        read_file(tmp_path)
    with pytest.raises(TranscriptImportError, match="invalid file name"):
        read_file("bad\x00name.srt")
    big = tmp_path / "big.srt"
    with big.open("wb") as handle:
        handle.truncate(51 * 1024 * 1024)  # sparse: costs no disk
    with pytest.raises(TranscriptImportError, match=r"too big \(51\.0 MB; the limit is 50 MB\)"):
        read_file(big)
    with big.open("r+b") as handle:  # just over: the size must not read as the limit
        handle.truncate(50 * 1024 * 1024 + 300)
    with pytest.raises(
        TranscriptImportError, match=r"\(52,429,100 bytes; the limit is 52,428,800 bytes\)"
    ):
        read_file(big)
    with big.open("r+b") as handle:
        handle.truncate(int(50.3 * 1024 * 1024))
    with pytest.raises(TranscriptImportError, match=r"\(50\.3 MB; the limit is 50 MB\)"):
        read_file(big)
    with pytest.raises(TranscriptImportError, match=r"file too big \(50\.3 MB; the limit is 50 MB"):
        decode_bytes(b"x" * int(50.3 * 1024 * 1024))
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(TranscriptImportError, match="empty file"):
        read_file(empty)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_read_file_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "secret.srt"
    path.write_bytes(fixture("talk.srt"))
    path.chmod(0)
    try:
        with pytest.raises(TranscriptImportError, match="permission denied"):
            read_file(path)
    finally:
        path.chmod(0o600)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_read_file_refuses_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.srt"
    os.mkfifo(fifo)
    with pytest.raises(TranscriptImportError, match="not a regular file"):
        read_file(fifo)


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir()))
def test_every_fixture_is_well_formed(name: str) -> None:
    assert_well_formed(parse_bytes(fixture(name), name)[1])


def test_formats_import_no_ui_or_network_libraries() -> None:
    import subprocess
    import sys

    code = (
        "import sys, core.formats; "
        "print(sorted(m for m in ('textual', 'anthropic', 'requests') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
